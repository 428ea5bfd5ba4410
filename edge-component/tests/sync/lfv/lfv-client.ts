/**
 * A gRPC client of the Lookout for Vision edge agent, generated at run time from the proto file
 * (edge-component/proto/edge-agent.proto, as a client would) with @grpc/proto-loader and grpc-js, and
 * the test helpers around the server: start it on a socket in a fresh folder, wait for a condition,
 * make RGB bitmaps and shared memory segments under /dev/shm.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type CallOptions,
  type Client,
  credentials,
  type GrpcObject,
  loadPackageDefinition,
  type ServiceClientConstructor,
  type ServiceError,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { silentLogger } from '../../../src/log.ts';
import type { InspectionService, ModelControl } from '../../../src/sync/inspection-service.ts';
import { type LfvServer, type LfvServerOptions, startLfvServer } from '../../../src/sync/lfv/lfv-server.ts';

export const PROTO_FILE = fileURLToPath(new URL('../../../proto/edge-agent.proto', import.meta.url));

export const DECODE = { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true };

type Method = 'DetectAnomalies' | 'StartModel' | 'StopModel' | 'ListModels' | 'DescribeModel';
type UnaryStub = (req: object, options: CallOptions, cb: (err: ServiceError | null, res: unknown) => void) => void;

export interface LfvClient {
  /** The response, decoded as the client sees it (proto field names, enums by name, absent messages null). */
  call<T = Record<string, unknown>>(method: Method, request: object): Promise<T>;
  /** The error of a call that must fail. */
  refusal(method: Method, request: object): Promise<ServiceError>;
  close(): void;
}

export function lfvClient(socketPath: string): LfvClient {
  const pkg = loadPackageDefinition(loadSync(PROTO_FILE, DECODE));
  const EdgeAgent = ((pkg.AWS as GrpcObject).LookoutVision as GrpcObject).EdgeAgent as ServiceClientConstructor;
  const client: Client = new EdgeAgent(`unix://${socketPath}`, credentials.createInsecure(), {
    'grpc.max_receive_message_length': -1,
    'grpc.max_send_message_length': -1,
  });
  const stubs = client as unknown as Record<Method, UnaryStub>;
  const call = <T>(method: Method, request: object) =>
    new Promise<T>((resolve, reject) =>
      stubs[method].call(client, request, { deadline: Date.now() + 20_000 }, (err, res) =>
        err ? reject(err) : resolve(res as T),
      ),
    );
  return {
    call,
    async refusal(method, request) {
      const outcome = await call(method, request).then(
        (res) => new Error(`${method} answered ${JSON.stringify(res)} instead of failing`),
        (err: ServiceError) => err,
      );
      if (!('code' in outcome)) throw outcome;
      return outcome;
    },
    close: () => client.close(),
  };
}

export interface Harness {
  readonly server: LfvServer;
  readonly client: LfvClient;
  readonly dir: string;
  close(): Promise<void>;
}

/** The server on `<fresh folder>/edge-agent.sock` and a client of it. */
export async function startHarness(
  deps: { service: InspectionService; control: ModelControl },
  options: Partial<LfvServerOptions> = {},
): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'lfv-'));
  const server = await startLfvServer(
    { ...deps, log: silentLogger() },
    { socketPath: join(dir, 'edge-agent.sock'), ...options },
  );
  const client = lfvClient(server.socketPath);
  return {
    server,
    client,
    dir,
    async close() {
      client.close();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` every 20 ms until it holds; fails after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A width x height RGB888 bitmap with a gradient (every byte known). */
export function rgbBitmap(width: number, height: number): Buffer {
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7) & 0xff;
  return pixels;
}

/** A shared memory segment /dev/shm/<name> holding `bytes` at `offset`; remove() deletes it. */
export async function sharedMemorySegment(bytes: Uint8Array, offset = 0, spare = 0) {
  const name = `edgeqc-lfv-test-${randomBytes(6).toString('hex')}`;
  const path = join('/dev/shm', name);
  const contents = Buffer.alloc(offset + bytes.length + spare);
  contents.set(bytes, offset);
  await writeFile(path, contents);
  return { name, path, remove: () => rm(path, { force: true }) };
}
