/**
 * ConfigSource over Greengrass IPC: the component's configuration from GetConfiguration (whole tree,
 * or below `keyPath`), proposed updates from SubscribeToValidateConfigurationUpdates answered with
 * SendConfigurationValidityReport (a rejection fails the deployment, and the running configuration
 * stays), applied updates from SubscribeToConfigurationUpdate (re-read with GetConfiguration, since the
 * event only names the changed key path).
 */
import { greengrasscoreipc } from 'aws-iot-device-sdk-v2';
import { ConfigSourceError } from '../../errors.ts';
import type { ConfigSource } from '../../ports.ts';
import type { GreengrassIpcSession } from './ipc-session.ts';

const { ConfigurationValidityStatus } = greengrasscoreipc.model;

export interface IpcConfigSourceOptions {
  /** Read only the configuration below this key path. Default: the whole tree. */
  readonly keyPath?: readonly string[];
  /** Called when handling an update failed (the nucleus then times out the validation). */
  readonly onError?: (err: ConfigSourceError) => void;
}

export function createIpcConfigSource(
  session: GreengrassIpcSession,
  options: IpcConfigSourceOptions = {},
): ConfigSource {
  const keyPath = [...(options.keyPath ?? [])];
  const onError = options.onError ?? (() => undefined);

  const load = async (): Promise<unknown> => {
    const client = await session.client();
    try {
      const response = await client.getConfiguration({ keyPath });
      return response.value ?? {};
    } catch (cause) {
      throw new ConfigSourceError('CONFIG_IPC_FAILED', `GetConfiguration(${JSON.stringify(keyPath)}) failed`, {
        cause,
      });
    }
  };

  const proposedBelowKeyPath = (configuration: unknown): unknown => {
    let v: unknown = configuration;
    for (const k of keyPath) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
    return v ?? {};
  };

  return {
    load,
    async watch(handlers) {
      const client = await session.client();
      const validation = client.subscribeToValidateConfigurationUpdates({});
      validation.on('message', (event) => {
        const proposal = event.validateConfigurationUpdateEvent;
        if (!proposal) return;
        let verdict: ReturnType<typeof handlers.validate>;
        try {
          verdict = handlers.validate(proposedBelowKeyPath(proposal.configuration));
        } catch (err) {
          verdict = { accepted: false, reason: err instanceof Error ? err.message : String(err) };
        }
        client
          .sendConfigurationValidityReport({
            configurationValidityReport: {
              deploymentId: proposal.deploymentId,
              status: verdict.accepted ? ConfigurationValidityStatus.ACCEPTED : ConfigurationValidityStatus.REJECTED,
              ...(verdict.accepted ? {} : { message: verdict.reason.slice(0, 2000) }),
            },
          })
          .catch((cause: unknown) =>
            onError(new ConfigSourceError('CONFIG_IPC_FAILED', 'SendConfigurationValidityReport failed', { cause })),
          );
      });
      const updates = client.subscribeToConfigurationUpdate({ keyPath });
      updates.on('message', () => {
        load().then(handlers.onChange, (err: ConfigSourceError) => onError(err));
      });
      try {
        await validation.activate();
        await updates.activate();
      } catch (cause) {
        await Promise.allSettled([validation.close(), updates.close()]);
        throw new ConfigSourceError('CONFIG_IPC_FAILED', 'subscribing to configuration updates failed', { cause });
      }
      return async () => {
        await Promise.allSettled([validation.close(), updates.close()]);
      };
    },
  };
}
