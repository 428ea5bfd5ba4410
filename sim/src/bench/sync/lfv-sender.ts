/**
 * Clients of the agent's Lookout for Vision gRPC interface for the closed loop, generated at run time
 * from the proto file (edge-component/proto/edge-agent.proto) with @grpc/proto-loader and grpc-js, as a
 * client written for the original edge agent would be. Each benchmark client has a channel of its own
 * (a local subchannel pool: its own connection, like a separate client process).
 *
 * - inline: DetectAnomalies with `bitmap.byte_data` (the RGB888 pixels in the request);
 * - shared memory: each client writes the images it will send into its own segment under /dev/shm
 *   once, before the run, and sends `bitmap.shared_memory_handle` {name, size, offset}.
 *
 * Each distinct DetectAnomalies request (an image inline, or an image's place in a client's segment) is
 * serialized once, before the run, with the generated message type, and sent through the generated
 * client's method with an identity serializer: the bytes on the wire are the ones the generated client
 * sends, but the run does not spend this machine's cores on protobuf-encoding the same bitmap again and
 * again (protobufjs takes tens of ms per 6 MB bitmap; a client's encoding is not the agent's work, and
 * a line controller encodes on its own CPU or with grpcio's C++ core).
 *
 * OK with a `detect_anomaly_result` counts as ok; RESOURCE_EXHAUSTED is a refusal with the agent's
 * `grpc-retry-pushback-ms`; anything else (or no answer within `timeoutMs`) is an error.
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type CallOptions,
  type Client,
  type ClientUnaryCall,
  credentials,
  type GrpcObject,
  loadPackageDefinition,
  type ServiceClientConstructor,
  type ServiceError,
  status,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { PROJECT_ROOT } from '../../project-root.ts';
import { imagesOfClient, type Outcome, type SendFn } from './closed-loop.ts';
import type { SyncSample } from './sync-samples.ts';

export const EDGE_AGENT_PROTO = join(PROJECT_ROOT, 'edge-component', 'proto', 'edge-agent.proto');
const DECODE = { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true };
const SHM_DIR = '/dev/shm';

type Response = Record<string, unknown>;
type Callback = (err: ServiceError | null, res: Response | undefined) => void;
type Unary = (req: object, options: CallOptions, cb: Callback) => ClientUnaryCall;

export interface LfvClient {
  call(method: 'DetectAnomalies' | 'ListModels', request: object, timeoutMs: number): Promise<Response>;
  /** DetectAnomalies with a request serialized beforehand (serializeDetect), as an outcome of the closed loop. */
  detect(serialized: Buffer, timeoutMs: number, signal?: AbortSignal): Promise<Outcome>;
  close(): void;
}

/** The generated client class (the proto file read and parsed again: a few ms, once per client). */
function edgeAgent(): ServiceClientConstructor {
  const pkg = loadPackageDefinition(loadSync(EDGE_AGENT_PROTO, DECODE));
  return ((pkg.AWS as GrpcObject).LookoutVision as GrpcObject).EdgeAgent as ServiceClientConstructor;
}

/** Puts a DetectAnomalies request into the bytes the generated client sends. */
export function detectSerializer(): (request: object) => Buffer {
  const method = edgeAgent().service.DetectAnomalies;
  if (method === undefined) throw new Error(`${EDGE_AGENT_PROTO} has no DetectAnomalies`);
  return (request) => method.requestSerialize(request);
}

const identity = (bytes: Buffer) => bytes;

export function lfvClient(socketPath: string): LfvClient {
  const EdgeAgent = edgeAgent();
  const detectMethod = EdgeAgent.service.DetectAnomalies;
  if (detectMethod === undefined) throw new Error(`${EDGE_AGENT_PROTO} has no DetectAnomalies`);
  const client: Client = new EdgeAgent(`unix://${socketPath}`, credentials.createInsecure(), {
    'grpc.use_local_subchannel_pool': 1,
    'grpc.max_send_message_length': -1,
    'grpc.max_receive_message_length': -1,
  });
  const stub = (method: string) => (client as unknown as Record<string, Unary>)[method] as Unary;
  type Answer = { err: ServiceError | null; res: Response | undefined };
  const invoke = (method: string, request: object, timeoutMs: number) =>
    new Promise<Answer>((resolve) => {
      stub(method).call(client, request, { deadline: Date.now() + timeoutMs }, (err, res) => resolve({ err, res }));
    });
  const detectSerialized = (serialized: Buffer, timeoutMs: number, signal?: AbortSignal) =>
    new Promise<Answer>((resolve) => {
      const call = client.makeUnaryRequest<Buffer, Response>(
        detectMethod.path,
        identity,
        detectMethod.responseDeserialize as (bytes: Buffer) => Response,
        serialized,
        { deadline: Date.now() + timeoutMs },
        (err, res) => {
          signal?.removeEventListener('abort', cancel);
          resolve({ err, res });
        },
      );
      function cancel() {
        call.cancel();
      }
      signal?.addEventListener('abort', cancel, { once: true });
    });
  return {
    async call(method, request, timeoutMs) {
      const { err, res } = await invoke(method, request, timeoutMs);
      if (err) throw err;
      return res ?? {};
    },
    async detect(serialized, timeoutMs, signal) {
      const { err, res } = await detectSerialized(serialized, timeoutMs, signal);
      if (err?.code === status.RESOURCE_EXHAUSTED) {
        const ms = Number(err.metadata?.get('grpc-retry-pushback-ms')[0]);
        return { kind: 'refused', retryAfterMs: Number.isFinite(ms) ? ms : 1000 };
      }
      if (err) return { kind: 'error', reason: `gRPC ${status[err.code] ?? err.code}: ${err.details}` };
      return res?.detect_anomaly_result
        ? { kind: 'ok' }
        : { kind: 'error', reason: 'DetectAnomalies answered without detect_anomaly_result' };
    },
    close: () => client.close(),
  };
}

/** The model component the agent serves (ListModels' first), for DetectAnomalies' model_component. */
export async function servedModelComponent(socketPath: string, timeoutMs: number): Promise<string> {
  const client = lfvClient(socketPath);
  try {
    const res = await client.call('ListModels', {}, timeoutMs);
    const models = (res.models ?? []) as Array<{ model_component?: string; status?: string }>;
    const running = models.find((m) => m.status === 'RUNNING');
    if (!running?.model_component) throw new Error(`no RUNNING model in ListModels: ${JSON.stringify(models)}`);
    return running.model_component;
  } finally {
    client.close();
  }
}

export interface LfvSenders {
  readonly send: SendFn;
  /** Closes the channels and removes the shared memory segments. */
  close(): Promise<void>;
}

interface Placement {
  readonly name: string;
  readonly offset: number;
}

/** One client per closed-loop client; with `shared`, their segments written before this returns. */
export async function lfvSenders(
  o: {
    readonly socketPath: string;
    readonly modelComponent: string;
    readonly samples: readonly SyncSample[];
    readonly clients: number;
    readonly shared: boolean;
    readonly timeoutMs: number;
    readonly signal?: AbortSignal;
  },
  segmentPrefix: string,
): Promise<LfvSenders> {
  const clients = Array.from({ length: o.clients }, () => lfvClient(o.socketPath));
  const placements: Array<Map<number, Placement>> = [];
  const segments: string[] = [];
  const close = async () => {
    for (const c of clients) c.close();
    await Promise.all(segments.map((path) => rm(path, { force: true })));
  };
  try {
    if (o.shared) {
      for (let c = 0; c < o.clients; c += 1) {
        const name = `${segmentPrefix}-${c}`;
        const mine = imagesOfClient(c, o.clients, o.samples.length);
        const where = new Map<number, Placement>();
        let offset = 0;
        for (const i of mine) {
          where.set(i, { name, offset });
          offset += (o.samples[i] as SyncSample).rgb.length;
        }
        const path = join(SHM_DIR, name);
        segments.push(path);
        await writeFile(path, Buffer.concat(mine.map((i) => (o.samples[i] as SyncSample).rgb)), { mode: 0o600 });
        placements.push(where);
      }
    }
  } catch (err) {
    await close();
    throw err;
  }
  const serializeDetect = detectSerializer();
  const request = (client: number, image: number) => {
    const s = o.samples[image] as SyncSample;
    const at = placements[client]?.get(image);
    const data = at
      ? { shared_memory_handle: { name: at.name, size: s.rgb.length, offset: at.offset } }
      : { byte_data: s.rgb };
    return serializeDetect({
      model_component: o.modelComponent,
      bitmap: { width: s.width, height: s.height, ...data },
    });
  };
  // Serialized once before the run: inline, one request per image for every client; shared memory, per client.
  const inline = o.shared ? [] : o.samples.map((_, image) => request(0, image));
  const serialized = o.shared
    ? clients.map((_, c) => new Map(imagesOfClient(c, o.clients, o.samples.length).map((i) => [i, request(c, i)])))
    : [];
  const send: SendFn = (client, image) => {
    const bytes = o.shared ? serialized[client]?.get(image) : inline[image];
    if (bytes === undefined) throw new Error(`client ${client} has no request for image ${image}`);
    return (clients[client] as LfvClient).detect(bytes, o.timeoutMs, o.signal);
  };
  return { send, close };
}
