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

type Callback = (err: ServiceError | null, res: Record<string, unknown> | undefined) => void;
type Unary = (req: object, options: CallOptions, cb: Callback) => ClientUnaryCall;

export interface LfvClient {
  call(method: 'DetectAnomalies' | 'ListModels', request: object, timeoutMs: number): Promise<Record<string, unknown>>;
  /** The call as an outcome of the closed loop. */
  detect(request: object, timeoutMs: number, signal?: AbortSignal): Promise<Outcome>;
  close(): void;
}

/** The generated client class (the proto file read and parsed again: a few ms, once per client). */
function edgeAgent(): ServiceClientConstructor {
  const pkg = loadPackageDefinition(loadSync(EDGE_AGENT_PROTO, DECODE));
  return ((pkg.AWS as GrpcObject).LookoutVision as GrpcObject).EdgeAgent as ServiceClientConstructor;
}

export function lfvClient(socketPath: string): LfvClient {
  const client: Client = new (edgeAgent())(`unix://${socketPath}`, credentials.createInsecure(), {
    'grpc.use_local_subchannel_pool': 1,
    'grpc.max_send_message_length': -1,
    'grpc.max_receive_message_length': -1,
  });
  const stub = (method: string) => (client as unknown as Record<string, Unary>)[method] as Unary;
  const invoke = (method: string, request: object, timeoutMs: number, signal?: AbortSignal) =>
    new Promise<{ err: ServiceError | null; res: Record<string, unknown> | undefined }>((resolve) => {
      const call = stub(method).call(client, request, { deadline: Date.now() + timeoutMs }, (err, res) => {
        signal?.removeEventListener('abort', cancel);
        resolve({ err, res });
      });
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
    async detect(request, timeoutMs, signal) {
      const { err, res } = await invoke('DetectAnomalies', request, timeoutMs, signal);
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
  const send: SendFn = (client, image) => {
    const s = o.samples[image] as SyncSample;
    const at = placements[client]?.get(image);
    const data = at
      ? { shared_memory_handle: { name: at.name, size: s.rgb.length, offset: at.offset } }
      : { byte_data: s.rgb };
    const request = { model_component: o.modelComponent, bitmap: { width: s.width, height: s.height, ...data } };
    return (clients[client] as LfvClient).detect(request, o.timeoutMs, o.signal);
  };
  return { send, close };
}
