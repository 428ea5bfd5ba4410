/**
 * The nucleus side of Greengrass IPC for a simulated device: a Unix socket speaking the event-stream RPC
 * protocol that aws-iot-device-sdk-v2's `greengrasscoreipc` client speaks. A component connects with the
 * SVCUID token the device gave it (CONNECT with `:version` 0.1.0 -> CONNECT_ACK ConnectionAccepted).
 *
 * Operations served (what our agent uses): PublishToIoTCore, GetConfiguration,
 * SubscribeToConfigurationUpdate, SubscribeToValidateConfigurationUpdates (accepted; the device sends
 * no validation events), SendConfigurationValidityReport and UpdateState. Anything else answers
 * with a modelled ServiceError, as the nucleus does for an operation a component may not use.
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import {
  encodeRpc,
  headerString,
  jsonApplicationMessage,
  MessageFlags,
  MessageType,
  RpcDecoder,
  type RpcMessage,
} from './event-stream-wire.ts';

export type ComponentReportedState = 'RUNNING' | 'ERRORED';

export interface NucleusIpcHandlers {
  publishToIoTCore(
    component: string,
    request: { topicName: string; qos: 0 | 1; payload: Uint8Array; retain: boolean },
  ): Promise<void>;
  /** The configuration value at `keyPath` of `target` (undefined when there is none). */
  getConfiguration(target: string, keyPath: readonly string[]): unknown;
  updateState(component: string, state: ComponentReportedState): void;
}

type Send = (bytes: Uint8Array) => void;

export class NucleusIpcServer {
  readonly socketPath: string;
  readonly #handlers: NucleusIpcHandlers;
  readonly #tokens = new Map<string, string>();
  readonly #configSubscribers = new Map<string, Set<{ send: Send; streamId: number; keyPath: string[] }>>();
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
    for (const s of this.#sockets) s.destroy();
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(this.socketPath, { force: true });
  }

  /** Tells subscribers of `component` that its configuration changed. */
  notifyConfigurationUpdate(component: string): void {
    for (const sub of this.#configSubscribers.get(component) ?? []) {
      sub.send(
        jsonApplicationMessage(sub.streamId, 'aws.greengrass#ConfigurationUpdateEvents', {
          configurationUpdateEvent: { componentName: component, keyPath: sub.keyPath },
        }),
      );
    }
  }

  #accept(socket: Socket): void {
    this.#sockets.add(socket);
    const decoder = new RpcDecoder();
    let component: string | undefined;
    const send: Send = (bytes) => {
      if (!socket.destroyed) socket.write(bytes);
    };
    const subscriptions: Array<() => void> = [];
    socket.on('close', () => {
      this.#sockets.delete(socket);
      for (const unsub of subscriptions) unsub();
    });
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk) => {
      let messages: RpcMessage[];
      try {
        messages = decoder.push(chunk);
      } catch {
        send(encodeRpc({ type: MessageType.ProtocolError, streamId: 0 }));
        socket.destroy();
        return;
      }
      for (const m of messages) {
        if (m.type === MessageType.Ping) {
          send(encodeRpc({ type: MessageType.PingResponse, streamId: 0 }));
          continue;
        }
        if (m.type === MessageType.Connect) {
          let token: string | undefined;
          try {
            token = (JSON.parse(new TextDecoder().decode(m.payload)) as { authToken?: string }).authToken;
          } catch {
            token = undefined;
          }
          component = token ? this.#tokens.get(token) : undefined;
          const accepted = component !== undefined && headerString(m, ':version') === '0.1.0';
          send(
            encodeRpc({
              type: MessageType.ConnectAck,
              flags: accepted ? MessageFlags.ConnectionAccepted : 0,
              streamId: 0,
            }),
          );
          if (!accepted) socket.end();
          continue;
        }
        if (m.type !== MessageType.ApplicationMessage || component === undefined || m.streamId === 0) continue;
        const operation = headerString(m, 'operation');
        if (!operation) continue; // a message on an already activated stream: none of ours expects one
        void this.#operate(component, operation, m, send, subscriptions);
      }
    });
  }

  async #operate(
    component: string,
    operation: string,
    m: RpcMessage,
    send: Send,
    subscriptions: Array<() => void>,
  ): Promise<void> {
    const id = m.streamId;
    const done = (shape: string, body: unknown) =>
      send(jsonApplicationMessage(id, shape, body, MessageFlags.TerminateStream));
    const fail = (message: string) =>
      send(
        jsonApplicationMessage(
          id,
          'aws.greengrass#ServiceError',
          { message },
          MessageFlags.TerminateStream,
          MessageType.ApplicationError,
        ),
      );
    let request: Record<string, unknown>;
    try {
      request = JSON.parse(new TextDecoder().decode(m.payload)) as Record<string, unknown>;
    } catch {
      fail(`${operation}: request payload is not JSON`);
      return;
    }
    try {
      switch (operation) {
        case 'aws.greengrass#PublishToIoTCore': {
          const payload = Buffer.from(String(request.payload ?? ''), 'base64');
          const qos = request.qos === '1' || request.qos === 1 || request.qos === 'AT_LEAST_ONCE' ? 1 : 0;
          await this.#handlers.publishToIoTCore(component, {
            topicName: String(request.topicName),
            qos,
            payload,
            retain: request.retain === true,
          });
          done('aws.greengrass#PublishToIoTCoreResponse', {});
          return;
        }
        case 'aws.greengrass#GetConfiguration': {
          const target = typeof request.componentName === 'string' ? request.componentName : component;
          const keyPath = Array.isArray(request.keyPath) ? request.keyPath.map(String) : [];
          const value = this.#handlers.getConfiguration(target, keyPath);
          if (value === undefined) {
            send(
              jsonApplicationMessage(
                id,
                'aws.greengrass#ResourceNotFoundError',
                { message: `no configuration ${target} /${keyPath.join('/')}`, resourceType: 'configuration' },
                MessageFlags.TerminateStream,
                MessageType.ApplicationError,
              ),
            );
            return;
          }
          const wrapped =
            typeof value === 'object' && value !== null && !Array.isArray(value)
              ? value
              : { [keyPath.at(-1) ?? 'value']: value };
          done('aws.greengrass#GetConfigurationResponse', { componentName: target, value: wrapped });
          return;
        }
        case 'aws.greengrass#SubscribeToConfigurationUpdate': {
          const target = typeof request.componentName === 'string' ? request.componentName : component;
          const keyPath = Array.isArray(request.keyPath) ? request.keyPath.map(String) : [];
          const sub = { send, streamId: id, keyPath };
          const set = this.#configSubscribers.get(target) ?? new Set();
          set.add(sub);
          this.#configSubscribers.set(target, set);
          subscriptions.push(() => set.delete(sub));
          send(jsonApplicationMessage(id, 'aws.greengrass#SubscribeToConfigurationUpdateResponse', {}));
          return;
        }
        case 'aws.greengrass#SubscribeToValidateConfigurationUpdates':
          send(jsonApplicationMessage(id, 'aws.greengrass#SubscribeToValidateConfigurationUpdatesResponse', {}));
          return;
        case 'aws.greengrass#SendConfigurationValidityReport':
          done('aws.greengrass#SendConfigurationValidityReportResponse', {});
          return;
        case 'aws.greengrass#UpdateState': {
          const state = request.state === 'ERRORED' ? 'ERRORED' : 'RUNNING';
          this.#handlers.updateState(component, state);
          done('aws.greengrass#UpdateStateResponse', {});
          return;
        }
        default:
          fail(`${operation} is not served by the simulated nucleus`);
      }
    } catch (err) {
      fail(`${operation} failed: ${(err as Error).message}`);
    }
  }
}
