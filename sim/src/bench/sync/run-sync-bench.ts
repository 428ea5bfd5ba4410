/**
 * `edgeqc bench --sync`: the synchronous API against its references, in one run, on the demo model's
 * sample images and its INT8 model:
 *   1. in this process, the agent not started yet: raw session.run;
 *   2. the agent in its own process (agent-process.ts) with the embedded broker, its HTTP API on a free
 *      loopback port and its Lookout for Vision socket in a fresh folder:
 *      - the folder throughput (folder-flood.ts), before the synchronous runs and again after them;
 *      - the single-image inspect time of every sample, in a process of its own with the agent's
 *        detector settings and nice value (single-image-process.ts), the agent idle: taken here, next to
 *        the one-client runs it is the reference of, because a shared machine's load drifts;
 *      - for each client count: HTTP, gRPC with inline bitmaps, gRPC with shared memory (closed-loop.ts);
 *        each answered request is also set beside the single-image time of its own sample, the same
 *        way in (encoded for HTTP, RGB pixels for gRPC): `relative`, the part the API adds;
 *      - its RSS every 250 ms from start to stop (the max, also per run), its CPU time per image in each run.
 * Traffic goes only to 127.0.0.1 and the Unix socket; every run is bounded by count and time; the agent
 * is stopped at the end, on an error and on abort (Ctrl-C). Prints figures, asserts nothing.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceConfigSchema, SyncConfigSchema } from '@edgeqc/edge-component/config';
import { demoBundle } from '@edgeqc/edge-component/demo-bundle';
import { demoAgentArgs } from '../../edge-demo/demo-agent-args.ts';
import { startEmbeddedBroker } from '../../mqtt/embedded-broker.ts';
import { startAgentProcess } from '../agent-process.ts';
import { watchDevice } from '../arrivals.ts';
import { benchAgentBuild } from '../bundled-agent.ts';
import { processCpuMs } from '../process-cpu.ts';
import { processRssBytes } from '../process-rss.ts';
import { agentNodeArgs, performanceEnv } from '../run-bench.ts';
import { type LatencySummary, summarizeLatencies } from '../stats.ts';
import { type AnsweredRequest, type ClosedLoopResult, runClosedLoop, type SendFn } from './closed-loop.ts';
import { type FolderFloodResult, folderFlood } from './folder-flood.ts';
import { httpSender } from './http-sender.ts';
import { lfvSenders, servedModelComponent } from './lfv-sender.ts';
import { measureRawRun, type SingleImageFigures } from './single-image.ts';
import { measureSingleImageApart } from './single-image-process.ts';
import { demoSamplePaths, loadSyncSamples } from './sync-samples.ts';

export type SyncApi = 'http' | 'grpc-inline' | 'grpc-shm';
export const SYNC_APIS: readonly SyncApi[] = ['http', 'grpc-inline', 'grpc-shm'];

export interface SyncBenchOptions {
  /** Client counts, one run per API each. Default 1, 4, 16. */
  readonly clients: readonly number[];
  /** The APIs run at each client count, in this order. Default all (SYNC_APIS). */
  readonly apis?: readonly SyncApi[];
  /** Measured requests per run (API x client count). */
  readonly requests: number;
  /** Wall-time bound of one run, seconds. */
  readonly maxRunSec: number;
  /** Images of each folder flood. */
  readonly folderImages: number;
  readonly rawRuns: number;
  /** Rounds through every sample in process for the single-image time (each way). */
  readonly singleRounds: number;
  /** The agent's sync.concurrency and sync.maxQueue; default: the config's. */
  readonly syncConcurrency?: number;
  readonly syncMaxQueue?: number;
  /** The agent's sync.maxQueueBytes; default: the config's. */
  readonly syncMaxQueueBytes?: number;
  readonly say: (line: string) => void;
  readonly signal?: AbortSignal;
}

export interface SyncRun extends ClosedLoopResult {
  readonly api: SyncApi;
  readonly agentCpuMsPerImage?: number;
  /** This process's CPU per answered request (the clients: encoding, sending, reading the answer). */
  readonly clientCpuMsPerImage: number;
  /** The machine's 1-minute load average at the end of the run (the machine may be shared). */
  readonly loadAverage1m: number;
  /**
   * Each answered request's latency over the single-image time of its own sample, the same way in
   * (encoded for HTTP, RGB pixels for gRPC): what the API adds to the same work, per request.
   */
  readonly relative: LatencySummary;
  /** The agent's RSS, the max sampled during this run. */
  readonly rssMaxBytes?: number;
}

export interface SyncBenchReport {
  readonly machine: { readonly cpus: number; readonly cpuModel: string; readonly node: string };
  readonly loadAverage: { readonly start: readonly number[]; readonly end: readonly number[] };
  readonly samples: number;
  readonly model: { readonly precision: string; readonly sha256: string; readonly inputShape: readonly number[] };
  readonly agent: {
    readonly syncConcurrency: number;
    readonly syncMaxQueue: number;
    readonly inFlight: number;
    readonly intraOpThreads: number;
    readonly detectorThread: string;
    readonly env: Readonly<Record<string, string>>;
  };
  readonly raw: { readonly imagesPerSecond: number; readonly meanMs: number };
  readonly singleImage: SingleImageFigures;
  readonly folder: readonly FolderFloodResult[];
  /** Mean of the folder runs' images/s. */
  readonly folderImagesPerSecond: number;
  readonly runs: readonly SyncRun[];
  readonly rssBytes: { readonly start?: number; readonly max?: number; readonly end?: number };
  /** The agent's exit code after the orderly stop (SIGTERM): 0 expected. */
  readonly agentExitCode: number | null;
}

async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no free loopback port');
  return address.port;
}

/** Polls `check` every 100 ms until it holds; fails naming `what` after `timeoutMs` or on abort. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs: number, signal?: AbortSignal) {
  const end = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (signal?.aborted) throw new Error(`aborted while waiting for ${what}`);
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const REQUEST_TIMEOUT_MS = 30_000;

/** Each request's latency over its own sample's reference time (NaN where the sample has none). */
export function relativeLatency(answered: readonly AnsweredRequest[], reference: readonly number[]): LatencySummary {
  return summarizeLatencies(answered.map((a) => a.ms / (reference[a.image] ?? Number.NaN)).filter(Number.isFinite));
}

export async function runSyncBench(o: SyncBenchOptions): Promise<SyncBenchReport> {
  const loadStart = loadavg();
  const paths = await demoSamplePaths();
  const samples = await loadSyncSamples(paths);
  const inference = InferenceConfigSchema.parse({});
  const syncDefaults = SyncConfigSchema.parse({});
  const bundle = await demoBundle({ precision: 'int8' });
  const session = {
    intraOpThreads: inference.intraOpThreads,
    interOpThreads: inference.interOpThreads,
    allowSpinning: inference.allowSpinning,
  };

  o.say(`raw session.run x${o.rawRuns} on ${samples.length} samples (this process)…`);
  const raw = await measureRawRun(bundle, samples, session, o.rawRuns);
  o.say(`raw: ${raw.imagesPerSecond.toFixed(1)} images/s, ${raw.meanMs.toFixed(1)} ms per run`);
  const measureSingle = () =>
    measureSingleImageApart(
      {
        rounds: o.singleRounds,
        settings: { ...session, worker: inference.detectorThread === 'worker', pipelineNice: inference.pipelineNice },
      },
      { nodeArgs: agentNodeArgs(), env: performanceEnv(), ...(o.signal ? { signal: o.signal } : {}) },
    );

  const root = await mkdtemp(join(tmpdir(), 'edgeqc-bench-sync-'));
  const broker = await startEmbeddedBroker();
  const thing = 'bench-sync';
  const cameraDir = join(root, 'camera');
  const socketPath = join(root, 'lfv.sock');
  const port = await freeLoopbackPort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const syncFlags = [
    ...(o.syncConcurrency !== undefined ? ['--sync-concurrency', String(o.syncConcurrency)] : []),
    ...(o.syncMaxQueue !== undefined ? ['--sync-max-queue', String(o.syncMaxQueue)] : []),
    ...(o.syncMaxQueueBytes !== undefined ? ['--sync-max-queue-bytes', String(o.syncMaxQueueBytes)] : []),
  ];
  let watcher: Awaited<ReturnType<typeof watchDevice>> | undefined;
  let agent: ReturnType<typeof startAgentProcess> | undefined;
  let sampler: NodeJS.Timeout | undefined;
  const rss: { start?: number; max?: number; end?: number } = {};
  /** The max of the run in progress. */
  let rowRss: number | undefined;
  const note = (r: number | undefined) => {
    if (r === undefined) return;
    rss.max = Math.max(rss.max ?? 0, r);
    rowRss = Math.max(rowRss ?? 0, r);
  };
  try {
    watcher = await watchDevice(broker.url, `edgeqc/${thing}`);
    const args = demoAgentArgs({ cameraDir, bundle, brokerUrl: broker.url, thingName: thing, logLevel: 'warn' }, [
      '--http-port',
      String(port),
      '--lfv-socket',
      socketPath,
      ...syncFlags,
    ]);
    const build = await benchAgentBuild();
    o.say(`agent from its ${build.from} (${build.entry})`);
    const started = startAgentProcess(args, {
      entry: build.entry,
      nodeArgs: agentNodeArgs(),
      env: { ...build.env, ...performanceEnv() },
    });
    agent = started;
    sampler = setInterval(() => void processRssBytes(started.pid).then(note), 250);
    const gone = started.exited.then((code) => {
      throw new Error(`the agent exited with code ${code} before it was ready:\n${started.tail()}`);
    });
    gone.catch(() => undefined);
    const w = watcher;
    await Promise.race([w.status((s) => s.state === 'online' && s.model !== null), gone]);
    await Promise.race([
      until('GET /readyz', async () => (await fetch(`${baseUrl}/readyz`)).status === 200, 60_000, o.signal),
      gone,
    ]);
    const modelComponent = await Promise.race([servedModelComponent(socketPath, 10_000), gone]);
    rss.start = await processRssBytes(started.pid);
    o.say(`agent ready (pid ${started.pid}, ${baseUrl}, ${socketPath}, ${modelComponent})`);

    let sequence = 1;
    const flood = async (label: string) => {
      o.say(`folder flood ${label}: ${o.folderImages} images…`);
      const r = await folderFlood({
        sources: paths,
        cameraDir,
        watcher: w,
        count: o.folderImages,
        firstSequence: sequence,
        timeoutMs: 60_000 + o.folderImages * 1000,
        stallMs: 30_000,
        ...(o.signal ? { signal: o.signal } : {}),
      });
      sequence += o.folderImages;
      o.say(`folder ${label}: ${r.imagesPerSecond.toFixed(1)} images/s (${r.errors} errors, ${r.missing} missing)`);
      return r;
    };
    const folder: FolderFloodResult[] = [await flood('before')];
    o.say(
      `single-image inspect, ${o.singleRounds} rounds of ${samples.length}, encoded and RGB (own process, one at a time, the agent idle)…`,
    );
    const single = await measureSingle();
    o.say(`single-image: encoded p50 ${single.encoded.p50.toFixed(1)} ms, RGB p50 ${single.rgb.p50.toFixed(1)} ms`);

    const runs: Omit<SyncRun, 'relative'>[] = [];
    for (const clients of o.clients) {
      for (const api of o.apis ?? SYNC_APIS) {
        if (o.signal?.aborted) break;
        const lfv =
          api === 'http'
            ? undefined
            : await lfvSenders(
                {
                  socketPath,
                  modelComponent,
                  samples,
                  clients,
                  shared: api === 'grpc-shm',
                  timeoutMs: REQUEST_TIMEOUT_MS,
                  ...(o.signal ? { signal: o.signal } : {}),
                },
                `edgeqc-bench-${process.pid}`,
              );
        const send: SendFn = lfv?.send ?? httpSender(baseUrl, samples, REQUEST_TIMEOUT_MS, o.signal);
        try {
          const agentCpu = await processCpuMs(started.pid);
          const clientCpu = process.cpuUsage();
          rowRss = undefined;
          const r = await runClosedLoop(send, {
            clients,
            images: samples.length,
            requests: o.requests,
            maxMs: o.maxRunSec * 1000,
            ...(o.signal ? { signal: o.signal } : {}),
          });
          const agentCpuAfter = await processCpuMs(started.pid);
          note(await processRssBytes(started.pid)); // a short run may fall between two samples
          const used = process.cpuUsage(clientCpu);
          const perImage = (ms: number) => ms / Math.max(1, r.ok + r.errors);
          runs.push({
            api,
            ...r,
            ...(agentCpu !== undefined && agentCpuAfter !== undefined
              ? { agentCpuMsPerImage: perImage(agentCpuAfter - agentCpu) }
              : {}),
            clientCpuMsPerImage: perImage((used.user + used.system) / 1000),
            loadAverage1m: loadavg()[0] as number,
            ...(rowRss !== undefined ? { rssMaxBytes: rowRss } : {}),
          });
          o.say(
            `${api} x${clients}: p50 ${r.latency.p50.toFixed(0)} ms, p95 ${r.latency.p95.toFixed(0)} ms, ${r.imagesPerSecond.toFixed(1)} images/s, ok ${r.ok}, queue full ${r.refused}, other ${r.errors}${r.firstError ? ` (${r.firstError})` : ''}`,
          );
        } finally {
          await lfv?.close();
        }
      }
    }
    if (!o.signal?.aborted) folder.push(await flood('after'));
    rss.end = await processRssBytes(started.pid);
    note(rss.end);
    clearInterval(sampler);
    const agentExitCode = await started.stop();
    return {
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version },
      loadAverage: { start: loadStart, end: loadavg() },
      samples: samples.length,
      model: {
        precision: bundle.manifest.precision,
        sha256: bundle.manifest.model.sha256,
        inputShape: bundle.manifest.input.shape,
      },
      agent: {
        syncConcurrency: o.syncConcurrency ?? syncDefaults.concurrency,
        syncMaxQueue: o.syncMaxQueue ?? syncDefaults.maxQueue,
        inFlight: inference.inFlight,
        intraOpThreads: inference.intraOpThreads,
        detectorThread: inference.detectorThread,
        env: performanceEnv(),
      },
      raw: { imagesPerSecond: raw.imagesPerSecond, meanMs: raw.meanMs },
      singleImage: single,
      folder,
      folderImagesPerSecond: folder.reduce((a, f) => a + f.imagesPerSecond, 0) / folder.length,
      runs: runs.map((x) => ({
        ...x,
        relative: relativeLatency(x.answered, x.api === 'http' ? single.encoded.perImage : single.rgb.perImage),
      })),
      rssBytes: rss,
      agentExitCode,
    };
  } finally {
    clearInterval(sampler);
    await agent?.stop();
    await watcher?.close();
    await broker.close();
    await rm(root, { recursive: true, force: true });
  }
}
