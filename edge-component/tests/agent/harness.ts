/**
 * Test support for the agent's integration tests: a real signed bundle of the demo model, small distinct
 * camera images, an embedded broker (Aedes) that records every message a client published (it can be
 * stopped and restarted on the same port), and the agent as a child process of the real binary.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';
import { Aedes } from 'aedes';
import sharp from 'sharp';
import { type DemoBundle, demoBundle } from '../../src/demo-model/demo-bundle.ts';

export const EDGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const PROJECT_ROOT = join(EDGE_ROOT, '..');
export const SAMPLES = join(PROJECT_ROOT, 'model-component', 'models', 'tag-scratch', 'samples');
export const MAIN_TS = join(EDGE_ROOT, 'src', 'main.ts');
export const NODE = join(PROJECT_ROOT, 'node_modules', '.bin', 'node');

/** A real bundle of the INT8 demo model (packageModel, self-tests from the samples, a dev Ed25519 key). */
export async function testBundle(): Promise<DemoBundle> {
  return demoBundle({ cacheDir: join(tmpdir(), 'edgeqc-agent-tests-bundle') });
}

/** Small JPEG bases cut from the sample images (`width` px wide), one per sample. */
export async function smallBases(width = 160): Promise<Uint8Array[]> {
  const files = (await readdir(SAMPLES)).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort();
  return Promise.all(
    files.map(async (f) => new Uint8Array(await sharp(join(SAMPLES, f)).resize({ width }).jpeg().toBuffer())),
  );
}

/** The JPEG with a comment segment: other bytes, same pixels, so a distinct image file. */
export function stamped(jpeg: Uint8Array, label: string): Uint8Array {
  const text = Buffer.from(`edgeqc-test:${label}`, 'latin1');
  const segment = Buffer.alloc(4);
  segment.writeUInt16BE(0xfffe, 0);
  segment.writeUInt16BE(text.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), segment, text, jpeg.subarray(2)]);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([length, body, crc]);
}

/** A valid, small PNG (about 110 KB) that decodes to `side` x `side` pixels: a decompression bomb. */
export function pngBomb(side: number): Uint8Array {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(side, 0);
  header.writeUInt32BE(side, 4);
  header[8] = 1; // bit depth 1
  header[9] = 0; // greyscale
  const rows = Buffer.alloc(side * (1 + Math.ceil(side / 8)));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(rows, { level: 9 })),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Drops a file the way a camera that writes a hidden temporary name and renames it does. */
export async function drop(dir: string, name: string, bytes: Uint8Array): Promise<void> {
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${name}.part`);
  await writeFile(tmp, bytes);
  await rename(tmp, join(dir, name));
}

export interface SeenMessage {
  readonly topic: string;
  readonly json: Record<string, unknown>;
  readonly retain: boolean;
}

/** An embedded Aedes broker that records what clients publish; stop/start keep the port. */
export interface RecordingBroker {
  readonly url: string;
  readonly port: number;
  readonly messages: SeenMessage[];
  on(topicSuffix: string): SeenMessage[];
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startRecordingBroker(): Promise<RecordingBroker> {
  const messages: SeenMessage[] = [];
  let aedes: Aedes | undefined;
  let server: Server | undefined;
  let port = 0;
  const sockets = new Set<Socket>();
  const start = async () => {
    const a = await Aedes.createBroker();
    a.on('publish', (packet, client) => {
      if (!client) return;
      let json: Record<string, unknown>;
      try {
        json = JSON.parse(Buffer.from(packet.payload).toString('utf8')) as Record<string, unknown>;
      } catch {
        json = { unparsable: true };
      }
      messages.push({ topic: packet.topic, json, retain: packet.retain });
    });
    const s = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      a.handle(socket);
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
    const address = s.address();
    if (typeof address === 'object' && address) port = address.port;
    aedes = a;
    server = s;
  };
  const stop = async () => {
    const a = aedes;
    const s = server;
    aedes = undefined;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    if (a) await new Promise<void>((resolve) => a.close(() => resolve()));
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await start();
  return {
    get url() {
      return `mqtt://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    messages,
    on: (suffix) => messages.filter((m) => m.topic.endsWith(suffix)),
    stop,
    start,
    close: stop,
  };
}

/** The agent binary's command line for one device on the recording broker (3.1.1), one intra-op thread, 1 s status. */
export function deviceArgs(
  o: { name: string; camera: string; work: string; modelDir: string; keyFile: string; brokerUrl: string },
  extra: readonly string[] = [],
): string[] {
  return [
    ...['--thing-name', o.name, '--camera-dir', o.camera, '--work-dir', o.work],
    ...['--model', o.modelDir, '--trusted-key', o.keyFile, '--mqtt-url', o.brokerUrl, '--mqtt-version', '3.1.1'],
    ...['--inference-intra-op-threads', '1', '--status-interval-sec', '1'],
    ...extra,
  ];
}

/** The agent binary (src/main.ts on Node 24) as a child process. */
export interface AgentProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** What it wrote on stderr (its logs). */
  stderr(): string;
}

export function spawnAgent(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
  cwd: string = EDGE_ROOT,
): AgentProcess {
  const child = spawn(NODE, [MAIN_TS, 'agent', ...args], {
    cwd,
    env: { ...process.env, EDGEQC_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString('utf8');
    if (err.length > 2_000_000) err = err.slice(-1_000_000);
  });
  child.stdout?.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, exited, stderr: () => err };
}

/** The nice value of every thread of a process (Linux: a thread id works as a pid for getpriority). */
export async function threadNices(pid: number): Promise<Map<number, number>> {
  const { readdir } = await import('node:fs/promises');
  const { getPriority } = await import('node:os');
  const nices = new Map<number, number>();
  for (const tid of await readdir(`/proc/${pid}/task`)) {
    try {
      nices.set(Number(tid), getPriority(Number(tid)));
    } catch {
      // the thread ended since the listing
    }
  }
  return nices;
}

export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function filesIn(dir: string): Promise<string[]> {
  return (await readdir(dir, { withFileTypes: true }).catch(() => [])).filter((e) => e.isFile()).map((e) => e.name);
}

export async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
}
