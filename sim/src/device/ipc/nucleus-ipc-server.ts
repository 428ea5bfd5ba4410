/**
 * The nucleus side of Greengrass IPC: a Unix socket speaking the event-stream RPC protocol that
 * aws-iot-device-sdk-v2's `greengrasscoreipc` client speaks, unmodified. A component connects with the
 * SVCUID token it was given (CONNECT with `:version` 0.1.0 -> CONNECT_ACK ConnectionAccepted; a wrong
 * token gets a CONNECT_ACK without it and the socket closes). The simulated core device serves its
 * components with it, and tests serve the agent's adapters with it (standalone-nucleus.ts).
 *
 * Operations served (what our agent uses): PublishToIoTCore, GetConfiguration,
 * SubscribeToConfigurationUpdate, SubscribeToValidateConfigurationUpdates (proposals sent by
 * proposeConfiguration), SendConfigurationValidityReport and UpdateState. Anything else answers with a
 * modelled ServiceError, as the nucleus does for an operation a component may not use. A client ends a
 * subscription by terminating its stream.
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { ConfigurationValidation, type ValidityReport } from './configuration-validation.ts';
import {
  encodeRpc,
  headerString,
  jsonApplicationMessage,
  MessageFlags,
  MessageType,
  RpcDecoder,
  type RpcMessage,
} from './event-stream-wire.ts';
import { IpcServiceError } from './ipc-service-error.ts';
import { IpcSubscriptions, type SubscriptionOperation } from './ipc-subscriptions.ts';
import { answerOperation, type Connection } from './nucleus-operations.ts';

export type ComponentReportedState = 'RUNNING' | 'ERRORED';

export interface PublishToIoTCoreRequest {
  readonly topicName: string;
  readonly qos: 0 | 1;
  readonly payload: Uint8Array;
  readonly retain: boolean;
}

export interface NucleusIpcHandlers {
  /** Throw an IpcServiceError to refuse the way the nucleus does (e.g. UnauthorizedError). */
  publishToIoTCore(component: string, request: PublishToIoTCoreRequest): Promise<void>;
  /** The configuration value at `keyPath` of `target` (undefined when there is none). */
  getConfiguration(target: string, keyPath: readonly string[]): unknown;
  updateState(component: string, state: ComponentReportedState): void;
  /** Told every operation a component calls (`GetConfiguration`, ...) before it is served. Default: none. */
  onOperation?(component: string, operation: string): void;
}

export interface ProposeOptions {
  /** How long the component has to answer (the deployment's validation timeout). Default: 30 000 ms. */
  readonly timeoutMs?: number;
}

export class NucleusIpcServer {
  readonly socketPath: string;
  readonly #handlers: NucleusIpcHandlers;
  readonly #tokens = new Map<string, string>();
  readonly #subscriptions = new IpcSubscriptions();
  readonly #validation = new ConfigurationValidation();
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;

  constructor(socketPath: string, handlers: NucleusIpcHandlers) {
    this.socketPath = socketPath;
    this.#handlers = handlers;
  }

  /** A fresh SVCUID for a component process. */
  tokenFor(component: string): string {
    const token = randomUUID();
    this.#tokens.set(token, component);
    return token;
  }

  async start(): Promise<void> {
    await rm(this.socketPath, { force: true });
    const server = createServer((socket) => this.#accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.socketPath, () => resolve());
    });
    this.#server = server;
  }

  async close(): Promise<void> {
    this.#validation.cancelAll('the nucleus IPC server closed');
    this.dropConnections();
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(this.socketPath, { force: true });
  }

  /** Closes every component connection, as a nucleus restart does; components reconnect. */
  dropConnections(): void {
    for (const s of this.#sockets) s.destroy();
  }

  /** Tells subscribers of `component` that its configuration changed. */
  notifyConfigurationUpdate(component: string): void {
    for (const sub of this.#subscriptions.streams(component, 'SubscribeToConfigurationUpdate')) {
      sub.send(
        jsonApplicationMessage(sub.streamId, 'aws.greengrass#ConfigurationUpdateEvents', {
          configurationUpdateEvent: { componentName: component, keyPath: sub.keyPath },
        }),
      );
    }
  }

  /**
   * Proposes a configuration to `component`'s validation subscribers and resolves with its
   * SendConfigurationValidityReport for `deploymentId`; undefined when it does not validate
   * configurations (no subscriber: the nucleus goes on without a verdict).
   */
  async proposeConfiguration(
    component: string,
    configuration: Readonly<Record<string, unknown>>,
    deploymentId: string,
    options: ProposeOptions = {},
  ): Promise<ValidityReport | undefined> {
    const streams = this.#subscriptions.streams(component, 'SubscribeToValidateConfigurationUpdates');
    if (streams.length === 0) return undefined;
    return this.#validation.propose(component, streams, configuration, deploymentId, options.timeoutMs ?? 30_000);
  }

  /** Resolves once `component` has `count` open `operation` streams; rejects after `timeoutMs` (default 30 s). */
  waitForSubscribers(component: string, operation: SubscriptionOperation, count = 1, timeoutMs = 30_000) {
    return this.#subscriptions.waitFor(component, operation, count, timeoutMs);
  }

  #accept(socket: Socket): void {
    this.#sockets.add(socket);
    const decoder = new RpcDecoder();
    let component: string | undefined;
    const streams = new Map<number, () => void>();
    const connection: Connection = {
      send: (bytes) => {
        if (!socket.destroyed) socket.write(bytes);
      },
      subscribe: (target, operation, streamId, keyPath) => {
        streams.set(streamId, this.#subscriptions.add(target, operation, { send: connection.send, streamId, keyPath }));
      },
    };
    socket.on('close', () => {
      this.#sockets.delete(socket);
      for (const unsubscribe of streams.values()) unsubscribe();
    });
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk) => {
      let messages: RpcMessage[];
      try {
        messages = decoder.push(chunk);
      } catch {
        connection.send(encodeRpc({ type: MessageType.ProtocolError, streamId: 0 }));
        socket.destroy();
        return;
      }
      for (const m of messages) {
        if (m.type === MessageType.Ping) {
          connection.send(encodeRpc({ type: MessageType.PingResponse, streamId: 0 }));
        } else if (m.type === MessageType.Connect) {
          component = this.#authenticate(m);
          const accepted = component !== undefined;
          const flags = accepted ? MessageFlags.ConnectionAccepted : 0;
          connection.send(encodeRpc({ type: MessageType.ConnectAck, flags, streamId: 0 }));
          if (!accepted) socket.end();
        } else if (m.type === MessageType.ApplicationMessage && component !== undefined && m.streamId !== 0) {
          const operation = headerString(m, 'operation');
          if (operation) {
            void this.#serve(component, operation.replace(/^aws\.greengrass#/, ''), m, connection);
          } else if (m.flags & MessageFlags.TerminateStream) {
            streams.get(m.streamId)?.();
            streams.delete(m.streamId);
          }
        }
      }
    });
  }

  /** The component a CONNECT authenticates as (its SVCUID token, protocol version 0.1.0), if any. */
  #authenticate(m: RpcMessage): string | undefined {
    if (headerString(m, ':version') !== '0.1.0') return undefined;
    try {
      const token = (JSON.parse(new TextDecoder().decode(m.payload)) as { authToken?: unknown }).authToken;
      return typeof token === 'string' ? this.#tokens.get(token) : undefined;
    } catch {
      return undefined;
    }
  }

  async #serve(component: string, operation: string, m: RpcMessage, connection: Connection): Promise<void> {
    const fail = (shape: string, message: string) =>
      connection.send(
        jsonApplicationMessage(
          m.streamId,
          `aws.greengrass#${shape}`,
          { message },
          MessageFlags.TerminateStream,
          MessageType.ApplicationError,
        ),
      );
    try {
      this.#handlers.onOperation?.(component, operation);
      let request: Record<string, unknown>;
      try {
        request = JSON.parse(new TextDecoder().decode(m.payload)) as Record<string, unknown>;
      } catch {
        throw new IpcServiceError('InvalidArgumentsError', `${operation}: request payload is not JSON`);
      }
      await answerOperation(
        { handlers: this.#handlers, validation: this.#validation },
        { component, operation, streamId: m.streamId, request },
        connection,
      );
    } catch (err) {
      if (err instanceof IpcServiceError) fail(err.shape, err.message);
      else fail('ServiceError', `${operation} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
