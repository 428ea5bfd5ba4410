/**
 * A nucleus IPC server on its own, for one component outside any simulated device: the tests of the
 * agent's Greengrass adapters (and the agent under `--greengrass`) run against it with the unmodified
 * SDK client. It records what the component did (publishes, states, operations) and lets a test act as
 * the nucleus: change or propose a configuration, refuse publishes, drop the connection.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalModeError } from '../../errors.ts';
import { readPointer } from '../configuration.ts';
import type { ValidityReport } from './configuration-validation.ts';
import { IpcServiceError } from './ipc-service-error.ts';
import type { SubscriptionOperation } from './ipc-subscriptions.ts';
import { type ComponentReportedState, NucleusIpcServer, type PublishToIoTCoreRequest } from './nucleus-ipc-server.ts';

export type { ValidityReport } from './configuration-validation.ts';

export interface StandaloneNucleusOptions {
  /** The component it serves. Default: `com.edgeqc.Inference`. */
  readonly componentName?: string;
  /** The component's configuration (GetConfiguration). Default: `{}`. */
  readonly configuration?: Readonly<Record<string, unknown>>;
}

export interface StandaloneNucleus {
  readonly socketPath: string;
  /** The component's SVCUID token. */
  readonly authToken: string;
  /** The environment Greengrass gives a component: socket path and SVCUID token. */
  readonly env: Readonly<Record<string, string>>;
  /** What the component published to IoT Core, in order. */
  readonly published: readonly PublishToIoTCoreRequest[];
  /** The states it reported with UpdateState, in order. */
  readonly states: readonly ComponentReportedState[];
  /** The operations it called, in order (e.g. `GetConfiguration`). */
  readonly operations: readonly string[];
  /** The next `count` PublishToIoTCore calls fail with an UnauthorizedError. */
  failNextPublishes(count: number): void;
  /** Replaces the configuration and tells the SubscribeToConfigurationUpdate subscribers. */
  updateConfiguration(configuration: Readonly<Record<string, unknown>>): void;
  /** Proposes a configuration to the component and resolves with its validity report for `deploymentId`. */
  proposeConfiguration(configuration: Readonly<Record<string, unknown>>, deploymentId: string): Promise<ValidityReport>;
  /** Closes every client connection (as a nucleus restart would). */
  dropConnections(): void;
  /** Resolves once the component has `count` open streams of the subscription `operation` (default 1). */
  waitForSubscribers(operation: SubscriptionOperation, count?: number): Promise<void>;
  close(): Promise<void>;
}

const pointerToken = (key: string) => `/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;

export async function startStandaloneNucleus(options: StandaloneNucleusOptions = {}): Promise<StandaloneNucleus> {
  const componentName = options.componentName ?? 'com.edgeqc.Inference';
  let configuration = structuredClone(options.configuration ?? {});
  const published: PublishToIoTCoreRequest[] = [];
  const states: ComponentReportedState[] = [];
  const operations: string[] = [];
  let failPublishes = 0;
  const dir = await mkdtemp(join(tmpdir(), 'edgeqc-ipc-'));
  const server = new NucleusIpcServer(join(dir, 'ipc.socket'), {
    async publishToIoTCore(_component, request) {
      if (failPublishes > 0) {
        failPublishes -= 1;
        throw new IpcServiceError('UnauthorizedError', `publish to ${request.topicName} refused (failNextPublishes)`);
      }
      published.push({ ...request, payload: new Uint8Array(request.payload) });
    },
    getConfiguration: (target, keyPath) =>
      target === componentName ? readPointer(configuration, keyPath.map(pointerToken).join('')) : undefined,
    updateState: (_component, state) => {
      states.push(state);
    },
    onOperation: (_component, operation) => {
      operations.push(operation);
    },
  });
  try {
    await server.start();
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const authToken = server.tokenFor(componentName);
  return {
    socketPath: server.socketPath,
    authToken,
    env: { AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT: server.socketPath, SVCUID: authToken },
    published,
    states,
    operations,
    failNextPublishes(count) {
      failPublishes = count;
    },
    updateConfiguration(next) {
      configuration = structuredClone(next);
      server.notifyConfigurationUpdate(componentName);
    },
    async proposeConfiguration(proposed, deploymentId) {
      const report = await server.proposeConfiguration(componentName, proposed, deploymentId);
      if (!report) {
        throw new LocalModeError(
          'IPC_NO_VALIDATOR',
          `${componentName} has not subscribed to configuration validation (SubscribeToValidateConfigurationUpdates)`,
        );
      }
      return report;
    },
    dropConnections: () => server.dropConnections(),
    waitForSubscribers: (operation, count = 1) => server.waitForSubscribers(componentName, operation, count),
    async close() {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
