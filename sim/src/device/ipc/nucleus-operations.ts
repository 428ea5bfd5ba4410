/**
 * The answer to each IPC operation the nucleus serves, in the shapes of the Greengrass IPC model: a
 * `<Name>Response` that terminates the stream, or for a subscription a response that keeps it open
 * (events follow on it). A refusal is thrown as an IpcServiceError; the server sends it.
 */
import type { ConfigurationValidation } from './configuration-validation.ts';
import { jsonApplicationMessage, MessageFlags } from './event-stream-wire.ts';
import { IpcServiceError } from './ipc-service-error.ts';
import type { SubscriptionOperation } from './ipc-subscriptions.ts';
import type { NucleusIpcHandlers } from './nucleus-ipc-server.ts';

/** One component connection, as the operations see it. */
export interface Connection {
  send(bytes: Uint8Array): void;
  /** Registers the stream as a subscription of `target` (ended when the stream or connection ends). */
  subscribe(target: string, operation: SubscriptionOperation, streamId: number, keyPath: readonly string[]): void;
}

export interface OperationCall {
  readonly component: string;
  /** Without the `aws.greengrass#` namespace, e.g. `GetConfiguration`. */
  readonly operation: string;
  readonly streamId: number;
  readonly request: Record<string, unknown>;
}

interface NucleusState {
  readonly handlers: NucleusIpcHandlers;
  readonly validation: ConfigurationValidation;
}

const keyPathOf = (request: Record<string, unknown>): string[] =>
  Array.isArray(request.keyPath) ? request.keyPath.map(String) : [];

export async function answerOperation(nucleus: NucleusState, call: OperationCall, connection: Connection) {
  const { component, operation, streamId, request } = call;
  const respond = (body: unknown, flags: number = MessageFlags.TerminateStream) =>
    connection.send(jsonApplicationMessage(streamId, `aws.greengrass#${operation}Response`, body, flags));
  const target = typeof request.componentName === 'string' ? request.componentName : component;
  switch (operation) {
    case 'PublishToIoTCore': {
      const qos = request.qos === '1' || request.qos === 1 || request.qos === 'AT_LEAST_ONCE' ? 1 : 0;
      await nucleus.handlers.publishToIoTCore(component, {
        topicName: String(request.topicName),
        qos,
        payload: Buffer.from(String(request.payload ?? ''), 'base64'),
        retain: request.retain === true,
      });
      respond({});
      return;
    }
    case 'GetConfiguration': {
      const keyPath = keyPathOf(request);
      const value = nucleus.handlers.getConfiguration(target, keyPath);
      if (value === undefined) {
        throw new IpcServiceError('ResourceNotFoundError', `no configuration ${target} /${keyPath.join('/')}`);
      }
      const wrapped =
        typeof value === 'object' && value !== null && !Array.isArray(value)
          ? value
          : { [keyPath.at(-1) ?? 'value']: value };
      respond({ componentName: target, value: wrapped });
      return;
    }
    case 'SubscribeToConfigurationUpdate':
      connection.subscribe(target, operation, streamId, keyPathOf(request));
      respond({}, 0);
      return;
    case 'SubscribeToValidateConfigurationUpdates':
      connection.subscribe(component, operation, streamId, []);
      respond({}, 0);
      return;
    case 'SendConfigurationValidityReport': {
      const report = request.configurationValidityReport as Record<string, unknown> | undefined;
      const status = report?.status;
      if (typeof report?.deploymentId !== 'string' || (status !== 'ACCEPTED' && status !== 'REJECTED')) {
        throw new IpcServiceError(
          'InvalidArgumentsError',
          `configurationValidityReport: expected a deploymentId and status ACCEPTED or REJECTED, got ${JSON.stringify(report)}`,
        );
      }
      nucleus.validation.report({
        deploymentId: report.deploymentId,
        status,
        ...(typeof report.message === 'string' ? { message: report.message } : {}),
      });
      respond({});
      return;
    }
    case 'UpdateState':
      nucleus.handlers.updateState(component, request.state === 'ERRORED' ? 'ERRORED' : 'RUNNING');
      respond({});
      return;
    default:
      throw new IpcServiceError('ServiceError', `${operation} is not served by the simulated nucleus`);
  }
}
