/**
 * A stand-in Greengrass nucleus IPC server that speaks the real wire protocol, so the adapters are
 * tested against the unmodified aws-iot-device-sdk-v2 client:
 *
 * - Unix stream socket; AWS event-stream framing (prelude with lengths and CRC32, typed headers,
 *   payload, message CRC32) encoded and decoded by @smithy/eventstream-codec.
 * - Every message carries `:message-type`, `:message-flags` and `:stream-id` (int32 headers).
 * - CONNECT (type 4) on stream 0 with `:version` = `0.1.0` and JSON payload `{"authToken": …}` is
 *   answered by CONNECT_ACK (type 5) with the ConnectionAccepted flag (1) when the token matches,
 *   without it otherwise (then the socket is closed). PING (2) is answered with PING_RESPONSE (3).
 * - An operation is an application message (type 0) on a new stream id with headers `operation`
 *   (`aws.greengrass#<Name>`), `service-model-type` (`aws.greengrass#<Name>Request`) and
 *   `:content-type` `application/json`. The reply is `<Name>Response` on that stream, with the
 *   TerminateStream flag (2) unless the operation is a subscription; subscription events follow on the
 *   same stream; errors are application errors (type 1) with an error shape such as
 *   `aws.greengrass#ServiceError`.
 *
 * Supported operations: PublishToIoTCore, GetConfiguration, SubscribeToConfigurationUpdate,
 * SubscribeToValidateConfigurationUpdates, SendConfigurationValidityReport, UpdateState.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventStreamCodec, type MessageHeaders } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';

const TYPE = { message: 0, error: 1, ping: 2, pingResponse: 3, connect: 4, connectAck: 5 } as const;
const FLAG = { connectionAccepted: 1, terminateStream: 2 } as const;
const NS = 'aws.greengrass#';

const codec = new EventStreamCodec(toUtf8, fromUtf8);

export interface IotCorePublish {
  readonly topicName: string;
  readonly qos: string;
  readonly payload: Uint8Array;
  readonly retain: boolean | undefined;
}

export interface ValidityReport {
  readonly status: string;
  readonly deploymentId: string;
  readonly message?: string;
}

export interface FakeNucleusOptions {
  readonly componentName?: string;
  readonly configuration?: Record<string, unknown>;
  /** Default: a random token. */
  readonly authToken?: string;
}

export interface FakeNucleus {
  readonly socketPath: string;
  readonly authToken: string;
  /** The environment Greengrass gives a component: socket path and SVCUID token. */
  readonly env: Readonly<Record<string, string>>;
  readonly published: IotCorePublish[];
  readonly states: string[];
  readonly validityReports: ValidityReport[];
  /** The operation names received, in order (e.g. `GetConfiguration`). */
  readonly operations: string[];
  /** The next `count` PublishToIoTCore calls fail with an UnauthorizedError. */
  failNextPublishes(count: number): void;
  /** Replaces the configuration and tells SubscribeToConfigurationUpdate subscribers (keyPath []). */
  updateConfiguration(configuration: Record<string, unknown>): void;
  /**
   * Sends a proposed configuration to SubscribeToValidateConfigurationUpdates subscribers and resolves
   * with the component's SendConfigurationValidityReport for that deployment.
   */
  proposeConfiguration(configuration: Record<string, unknown>, deploymentId: string): Promise<ValidityReport>;
  /** Closes every client connection (as a nucleus restart would). */
  dropConnections(): void;
  /** Resolves once `count` subscribers of the named operation are active. */
  waitForSubscribers(operation: string, count?: number): Promise<void>;
  close(): Promise<void>;
}

interface Subscription {
  readonly socket: Socket;
  readonly streamId: number;
  readonly operation: string;
}

function frame(type: number, flags: number, streamId: number, extra: MessageHeaders, body: unknown): Uint8Array {
  return codec.encode({
    headers: {
      ...extra,
      ':message-type': { type: 'integer', value: type },
      ':message-flags': { type: 'integer', value: flags },
      ':stream-id': { type: 'integer', value: streamId },
    },
    body: body === undefined ? new Uint8Array(0) : fromUtf8(JSON.stringify(body)),
  });
}

function shapeFrame(type: number, flags: number, streamId: number, shape: string, body: unknown): Uint8Array {
  return frame(
    type,
    flags,
    streamId,
    {
      'service-model-type': { type: 'string', value: `${NS}${shape}` },
      ':content-type': { type: 'string', value: 'application/json' },
    },
    body,
  );
}

function header(headers: MessageHeaders, name: string): string | number | undefined {
  const h = headers[name];
  if (!h) return undefined;
  if (h.type === 'string' || h.type === 'integer') return h.value;
  return undefined;
}

function valueAt(root: unknown, keyPath: readonly string[]): unknown {
  let v: unknown = root;
  for (const k of keyPath) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

export async function startFakeNucleus(options: FakeNucleusOptions = {}): Promise<FakeNucleus> {
  const componentName = options.componentName ?? 'com.edgeqc.Inference';
  const authToken = options.authToken ?? `token-${crypto.randomUUID()}`;
  let configuration: Record<string, unknown> = structuredClone(options.configuration ?? {});
  const dir = await mkdtemp(join(tmpdir(), 'edgeqc-ipc-'));
  const socketPath = join(dir, 'ipc.socket');
  const published: IotCorePublish[] = [];
  const states: string[] = [];
  const validityReports: ValidityReport[] = [];
  const operations: string[] = [];
  const subscriptions: Subscription[] = [];
  const sockets = new Set<Socket>();
  const reportWaiters = new Map<string, (r: ValidityReport) => void>();
  const subscriberWaiters: (() => void)[] = [];
  let failPublishes = 0;

  const checkSubscriberWaiters = () => {
    for (const w of subscriberWaiters.splice(0)) w();
  };

  const handleOperation = (socket: Socket, streamId: number, operation: string, request: Record<string, unknown>) => {
    const reply = (shape: string, body: unknown, terminate = true) =>
      socket.write(shapeFrame(TYPE.message, terminate ? FLAG.terminateStream : 0, streamId, shape, body));
    const fail = (shape: string, message: string) =>
      socket.write(shapeFrame(TYPE.error, FLAG.terminateStream, streamId, shape, { message }));
    operations.push(operation);
    switch (operation) {
      case 'PublishToIoTCore': {
        if (failPublishes > 0) {
          failPublishes -= 1;
          fail('UnauthorizedError', 'publish refused by the test server');
          return;
        }
        published.push({
          topicName: String(request.topicName),
          qos: String(request.qos),
          payload: new Uint8Array(Buffer.from(String(request.payload ?? ''), 'base64')),
          retain: typeof request.retain === 'boolean' ? request.retain : undefined,
        });
        reply('PublishToIoTCoreResponse', {});
        return;
      }
      case 'GetConfiguration': {
        const keyPath = Array.isArray(request.keyPath) ? request.keyPath.map(String) : [];
        if (request.componentName !== undefined && request.componentName !== componentName) {
          fail('ResourceNotFoundError', `no component ${String(request.componentName)}`);
          return;
        }
        reply('GetConfigurationResponse', { componentName, value: valueAt(configuration, keyPath) ?? {} });
        return;
      }
      case 'SubscribeToConfigurationUpdate':
      case 'SubscribeToValidateConfigurationUpdates':
        subscriptions.push({ socket, streamId, operation });
        reply(`${operation}Response`, {}, false);
        checkSubscriberWaiters();
        return;
      case 'SendConfigurationValidityReport': {
        const report = request.configurationValidityReport as ValidityReport;
        validityReports.push(report);
        reply('SendConfigurationValidityReportResponse', {});
        reportWaiters.get(report.deploymentId)?.(report);
        return;
      }
      case 'UpdateState':
        states.push(String(request.state));
        reply('UpdateStateResponse', {});
        return;
      default:
        fail('ServiceError', `operation ${operation} is not supported by the test server`);
    }
  };

  const onConnection = (socket: Socket) => {
    sockets.add(socket);
    let buffer: Buffer = Buffer.alloc(0);
    let connected = false;
    socket.on('close', () => {
      sockets.delete(socket);
      for (let i = subscriptions.length - 1; i >= 0; i -= 1)
        if (subscriptions[i]?.socket === socket) subscriptions.splice(i, 1);
    });
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      while (buffer.length >= 4 && buffer.length >= buffer.readUInt32BE(0)) {
        const total = buffer.readUInt32BE(0);
        const message = codec.decode(buffer.subarray(0, total));
        buffer = buffer.subarray(total);
        const type = Number(header(message.headers, ':message-type') ?? -1);
        const flags = Number(header(message.headers, ':message-flags') ?? 0);
        const streamId = Number(header(message.headers, ':stream-id') ?? 0);
        if (type === TYPE.connect) {
          let token: unknown;
          try {
            token = (JSON.parse(toUtf8(message.body)) as { authToken?: unknown }).authToken;
          } catch {
            token = undefined;
          }
          const accepted = header(message.headers, ':version') === '0.1.0' && token === authToken;
          socket.write(frame(TYPE.connectAck, accepted ? FLAG.connectionAccepted : 0, 0, {}, undefined));
          if (!accepted) socket.end();
          connected = accepted;
          continue;
        }
        if (!connected) {
          socket.destroy();
          return;
        }
        if (type === TYPE.ping) {
          socket.write(frame(TYPE.pingResponse, 0, 0, {}, undefined));
          continue;
        }
        if (type !== TYPE.message) continue;
        if (flags & FLAG.terminateStream && header(message.headers, 'operation') === undefined) {
          const i = subscriptions.findIndex((s) => s.socket === socket && s.streamId === streamId);
          if (i >= 0) subscriptions.splice(i, 1);
          continue;
        }
        const operation = String(header(message.headers, 'operation') ?? '');
        const body = message.body.length > 0 ? (JSON.parse(toUtf8(message.body)) as Record<string, unknown>) : {};
        handleOperation(socket, streamId, operation.startsWith(NS) ? operation.slice(NS.length) : operation, body);
      }
    });
  };

  const server: Server = createServer(onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });

  const emit = (operation: string, shape: string, body: unknown) => {
    for (const s of subscriptions) {
      if (s.operation === operation) s.socket.write(shapeFrame(TYPE.message, 0, s.streamId, shape, body));
    }
  };

  return {
    socketPath,
    authToken,
    env: { AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT: socketPath, SVCUID: authToken },
    published,
    states,
    validityReports,
    operations,
    failNextPublishes(count) {
      failPublishes = count;
    },
    updateConfiguration(next) {
      configuration = structuredClone(next);
      emit('SubscribeToConfigurationUpdate', 'ConfigurationUpdateEvents', {
        configurationUpdateEvent: { componentName, keyPath: [] },
      });
    },
    proposeConfiguration(proposed, deploymentId) {
      const report = new Promise<ValidityReport>((resolve) => reportWaiters.set(deploymentId, resolve));
      emit('SubscribeToValidateConfigurationUpdates', 'ValidateConfigurationUpdateEvents', {
        validateConfigurationUpdateEvent: { configuration: proposed, deploymentId },
      });
      return report;
    },
    dropConnections() {
      for (const s of sockets) s.destroy();
    },
    async waitForSubscribers(operation, count = 1) {
      while (subscriptions.filter((s) => s.operation === operation).length < count) {
        await new Promise<void>((resolve) => subscriberWaiters.push(resolve));
      }
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
