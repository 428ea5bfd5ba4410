/**
 * `edgeqc bench`: from one run on the same images (the demo model's samples), per precision:
 *   1. raw onnxruntime session.run throughput on the prepared sample tensors (the ceiling);
 *   2. the agent in its own process on a fresh camera folder, with the embedded broker:
 *      - latency at a steady rate (default 5 images/s): file renamed into the folder -> its inspection
 *        message arrives through the broker (the agent publishes at QoS 1);
 *      - end-to-end throughput: `images` files dropped as fast as the disk takes them, from the first
 *        drop to the last message; its ratio to (1);
 *      - RSS of the agent process before the first image, half-way and after the last one, and where
 *        it is (JS heap, buffers outside it, the rest native) from a probe loaded into the agent;
 *      - CPU time of the agent process per image, beside the CPU time of one raw session.run and of
 *        one preparation (measured here on the same samples): on a machine with few cores, this says
 *        how far end-to-end throughput can go at all (cores x 1000 / agent CPU ms per image).
 * Step 2 runs once per detector thread asked for (the agent's session in a worker thread or in its main
 * thread), against the same raw figure, so the two stand side by side in one report.
 * A script to run by hand, never a timed test: it prints figures, it asserts nothing.
 */
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { inputTensorPool } from '@edgeqc/edge-component/adapters/input-tensor-pool';
import { sessionOptionsFor } from '@edgeqc/edge-component/adapters/onnx-detector';
import { SESSION_THREAD_NAME_PREFIX } from '@edgeqc/edge-component/adapters/onnx-worker-detector';
import { createSharpImagePreparer } from '@edgeqc/edge-component/adapters/sharp-image-preparer';
import { InferenceConfigSchema, LimitsConfigSchema } from '@edgeqc/edge-component/config';
import { DEMO_SAMPLES_DIR, demoBundle } from '@edgeqc/edge-component/demo-bundle';
import type { Precision } from '@edgeqc/model-component/manifest';
import { runCameraSimulator } from '../edge-demo/camera-simulator.ts';
import { demoAgentArgs } from '../edge-demo/demo-agent-args.ts';
import { startEmbeddedBroker } from '../mqtt/embedded-broker.ts';
import { PROJECT_ROOT } from '../project-root.ts';
import { startAgentProcess } from './agent-process.ts';
import { watchDevice } from './arrivals.ts';
import { benchAgentBuild } from './bundled-agent.ts';
import { type MemorySample, readMemorySamples } from './memory-samples.ts';
import { processCpuMs, threadsCpuMs } from './process-cpu.ts';
import { processRssBytes } from './process-rss.ts';
import { rawSessionThroughput } from './raw-session.ts';
import { type LatencySummary, perSecond, summarizeLatencies } from './stats.ts';

export interface BenchOptions {
  /** Images dropped for the throughput and memory run, per precision. Default 5000. */
  readonly images: number;
  /** Steady rate for the latency run. Default 5 images/s. */
  readonly steadyRate: number;
  /** Images in the latency run. Default 150 (30 s at 5/s). */
  readonly steadyImages: number;
  /** session.run calls for the raw figure. Default 300. */
  readonly rawRuns: number;
  readonly precisions: readonly Precision[];
  /** onnxruntime and pipeline settings for the agent AND the raw baseline. Default: the config's defaults. */
  readonly inference?: Partial<InferenceSettings>;
  /** Where the agent runs its session, one agent run each. Default: the config's default only. */
  readonly detectorThreads?: readonly DetectorThread[];
  readonly say: (line: string) => void;
  readonly signal?: AbortSignal;
}

export interface InferenceSettings {
  readonly intraOpThreads: number;
  readonly interOpThreads: number;
  readonly inFlight: number;
  readonly allowSpinning: boolean;
  /** The agent's inference.pipelineNice (the raw baseline runs in this process, untouched). */
  readonly pipelineNice: number;
}

export type DetectorThread = 'worker' | 'main';

/** Where the agent's memory is, from the probe (bytes). */
export interface MemoryBreakdown {
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

export interface PrecisionResult {
  readonly precision: Precision;
  /** Where the agent ran its session (the raw baseline always runs in the benchmark's own thread). */
  readonly detectorThread: DetectorThread;
  readonly modelSha256: string;
  readonly rawImagesPerSecond: number;
  readonly rawMeanMs: number;
  /**
   * Raw session.run with one intra-op thread per core (`rawAllCoresThreads`, the machine's available
   * parallelism), measured unless the agent's own setting is that already: the fastest the model goes
   * on this machine, beside the baseline with the agent's own settings. Not onnxruntime's automatic
   * count (intra-op 0): on a 2-vCPU virtual machine it can pick one thread.
   */
  readonly rawAllCoresImagesPerSecond: number;
  /** CPU milliseconds per raw session.run with a thread per core (all its threads). */
  readonly rawAllCoresCpuMs: number;
  readonly rawAllCoresThreads: number;
  readonly endToEndImagesPerSecond: number;
  /**
   * The headline: end-to-end over the raw session with a thread per core (the fastest the model goes
   * here), same images, same run.
   */
  readonly headlineRatio: number;
  readonly ratio: number;
  readonly steady: LatencySummary & { readonly rate: number };
  /** Drop -> message latency during the flood (queueing included). */
  readonly floodLatency: LatencySummary;
  /** Mean of the agent's own stage timings (timingsMs of the inspections) during the flood. */
  readonly stageMeansMs: {
    readonly decode: number;
    readonly preprocess: number;
    readonly inference: number;
    readonly postprocess: number;
    readonly total: number;
  };
  readonly rssBytes: { readonly start?: number; readonly half?: number; readonly end?: number; readonly max?: number };
  /** The agent's memory before the flood and after it (probe samples). */
  /** The agent's memory before the flood, at its RSS peak during it, and after it (probe samples). */
  readonly memory: {
    readonly start?: MemoryBreakdown;
    readonly peak?: MemoryBreakdown;
    readonly end?: MemoryBreakdown;
  };
  /** CPU milliseconds per image: one raw session.run, one preparation (admit + decode + letterbox), the agent. */
  readonly cpuMs: {
    readonly rawRun: number;
    readonly prepare: number;
    readonly agentPerImage?: number;
    /**
     * The agent's inference threads during the flood (session in a worker: the worker thread and the
     * onnxruntime threads it started; absent in the main thread, where inference cannot be told apart).
     */
    readonly inference?: { readonly perImage: number; readonly coresBusy: number; readonly threads: number };
  };
  readonly images: number;
  readonly errors: number;
  readonly missing: number;
}

export interface BenchReport {
  readonly machine: { readonly cpus: number; readonly cpuModel: string; readonly node: string };
  readonly samples: number;
  readonly threads: {
    readonly intraOp: number;
    readonly interOp: number;
    readonly inFlight: number;
    readonly allowSpinning: boolean;
    readonly pipelineNice: number;
  };
  /** Environment the agent ran with that changes its performance (as set for the benchmark). */
  readonly env: Readonly<Record<string, string>>;
  readonly results: readonly PrecisionResult[];
}

async function sampleFiles(): Promise<string[]> {
  return (await readdir(DEMO_SAMPLES_DIR))
    .filter((f) => /\.(jpe?g|png)$/i.test(f))
    .sort()
    .map((f) => join(DEMO_SAMPLES_DIR, f));
}

/** Variables of the benchmark's environment that change the agent's performance, passed on to it. */
const PERFORMANCE_ENV = [
  'MALLOC_ARENA_MAX',
  'MALLOC_MMAP_THRESHOLD_',
  'MALLOC_TRIM_THRESHOLD_',
  'MALLOC_CONF',
  'LD_PRELOAD',
  'UV_THREADPOOL_SIZE',
  'VIPS_CONCURRENCY',
  'OMP_NUM_THREADS',
  'NODE_OPTIONS',
];

/** Extra Node flags for the agent process (e.g. --cpu-prof, which NODE_OPTIONS does not allow). */
export function agentNodeArgs(): string[] {
  return (process.env.EDGEQC_BENCH_AGENT_NODE_ARGS ?? '').split(' ').filter(Boolean);
}

export function performanceEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of PERFORMANCE_ENV) {
    const v = process.env[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

function inferenceSettings(o: BenchOptions): InferenceSettings {
  const d = InferenceConfigSchema.parse({});
  return {
    intraOpThreads: o.inference?.intraOpThreads ?? d.intraOpThreads,
    interOpThreads: o.inference?.interOpThreads ?? d.interOpThreads,
    inFlight: o.inference?.inFlight ?? d.inFlight,
    allowSpinning: o.inference?.allowSpinning ?? d.allowSpinning,
    pipelineNice: o.inference?.pipelineNice ?? d.pipelineNice,
  };
}

const detectorThreads = (o: BenchOptions): readonly DetectorThread[] =>
  o.detectorThreads ?? [InferenceConfigSchema.parse({}).detectorThread];

const MEMORY_PROBE = join(PROJECT_ROOT, 'sim', 'src', 'bench', 'memory-probe.ts');

const breakdown = (m: MemorySample | undefined): MemoryBreakdown | undefined =>
  m && {
    rss: m.rss,
    heapUsed: m.heapUsed,
    heapTotal: m.heapTotal,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
  };

/** The raw baseline of one precision, and what preparing an image costs. */
interface RawFigures {
  readonly bundle: Awaited<ReturnType<typeof demoBundle>>;
  readonly raw: Awaited<ReturnType<typeof rawSessionThroughput>>;
  readonly rawAllCores: Awaited<ReturnType<typeof rawSessionThroughput>> & { readonly threads: number };
  readonly prepareCpuMs: number;
}

async function measureRaw(precision: Precision, sources: readonly string[], o: BenchOptions): Promise<RawFigures> {
  const inference = inferenceSettings(o);
  const limits = LimitsConfigSchema.parse({});
  const bundle = await demoBundle({ precision });
  const m = bundle.manifest;

  // 1. Raw session.run on the same images, prepared as the agent prepares them (and what preparing costs).
  const preparer = createSharpImagePreparer(limits);
  const tensors: Float32Array[] = [];
  const infos = await Promise.all(sources.map((path) => stat(path)));
  const prepareRounds = 3;
  const prepareAll = async (keep: boolean) => {
    for (const [i, path] of sources.entries()) {
      const info = infos[i] as Awaited<ReturnType<typeof stat>>;
      const image = await preparer.admit({ path, sizeBytes: Number(info.size), mtimeMs: Number(info.mtimeMs) });
      const prepared = await preparer.prepare(image, m.input);
      // As in the agent, where the worker hands each input back to the pool after its run.
      if (keep) tensors.push(prepared.tensor);
      else inputTensorPool.give(prepared.tensor);
    }
  };
  await prepareAll(true); // the raw baseline's inputs; also warms libvips up
  const prepCpu = process.cpuUsage();
  for (let round = 0; round < prepareRounds; round += 1) await prepareAll(false);
  const prepUsed = process.cpuUsage(prepCpu);
  const prepareCpuMs = (prepUsed.user + prepUsed.system) / 1000 / (prepareRounds * sources.length);
  o.say(`[${precision}] raw onnxruntime session.run x${o.rawRuns} on ${tensors.length} prepared samples…`);
  const raw = await rawSessionThroughput({
    modelBytes: await readFile(join(bundle.dir, m.model.file)),
    sessionOptions: sessionOptionsFor(inference),
    tensors,
    dims: m.input.shape,
    inputName: m.input.name,
    runs: o.rawRuns,
  });
  o.say(
    `[${precision}] raw: ${raw.imagesPerSecond.toFixed(1)} images/s (${raw.meanMs.toFixed(1)} ms per run, ${raw.cpuMsPerRun.toFixed(1)} CPU ms); preparation ${prepareCpuMs.toFixed(1)} CPU ms per image`,
  );
  const cores = availableParallelism();
  const rawAllCores =
    inference.intraOpThreads === cores
      ? raw
      : await rawSessionThroughput({
          modelBytes: await readFile(join(bundle.dir, m.model.file)),
          sessionOptions: sessionOptionsFor({ ...inference, intraOpThreads: cores }),
          tensors,
          dims: m.input.shape,
          inputName: m.input.name,
          runs: o.rawRuns,
        });
  if (rawAllCores !== raw) {
    o.say(
      `[${precision}] raw with ${cores} intra-op threads (one per core): ${rawAllCores.imagesPerSecond.toFixed(1)} images/s (${rawAllCores.cpuMsPerRun.toFixed(1)} CPU ms)`,
    );
  }
  return { bundle, raw, rawAllCores: { ...rawAllCores, threads: cores }, prepareCpuMs };
}

async function benchAgent(
  precision: Precision,
  detectorThread: DetectorThread,
  figures: RawFigures,
  sources: readonly string[],
  brokerUrl: string,
  o: BenchOptions,
): Promise<PrecisionResult> {
  const inference = inferenceSettings(o);
  const { bundle, raw, rawAllCores, prepareCpuMs } = figures;
  const m = bundle.manifest;
  const say = (line: string) => o.say(`[${precision} ${detectorThread}] ${line}`);

  // 2. The agent in its own process.
  const root = await mkdtemp(join(tmpdir(), `edgeqc-bench-${precision}-${detectorThread}-`));
  const cameraDir = join(root, 'camera');
  const memoryFile = join(root, 'agent-memory.jsonl');
  const thing = `bench-${precision}-${detectorThread}`;
  const watcher = await watchDevice(brokerUrl, `edgeqc/${thing}`);
  const build = await benchAgentBuild();
  say(`agent from its ${build.from} (${build.entry})`);
  const agent = startAgentProcess(
    demoAgentArgs({ cameraDir, bundle, brokerUrl, thingName: thing, logLevel: 'warn' }, [
      '--inference-intra-op-threads',
      String(inference.intraOpThreads),
      '--inference-inter-op-threads',
      String(inference.interOpThreads),
      '--inference-in-flight',
      String(inference.inFlight),
      '--inference-detector-thread',
      detectorThread,
      inference.allowSpinning ? '--inference-allow-spinning' : '--no-inference-allow-spinning',
      '--inference-pipeline-nice',
      String(inference.pipelineNice),
    ]),
    {
      entry: build.entry,
      nodeArgs: ['--import', MEMORY_PROBE, ...agentNodeArgs()],
      env: { ...build.env, ...performanceEnv(), BENCH_AGENT_MEMORY_FILE: memoryFile },
    },
  );
  try {
    const online = await Promise.race([
      watcher.status((s) => s.state === 'online' && s.model !== null),
      agent.exited.then((code) => {
        throw new Error(`the agent exited with code ${code} before it was online:\n${agent.tail()}`);
      }),
    ]);
    const rssStart = await processRssBytes(agent.pid);
    say(`agent online (pid ${agent.pid}, model ${online.model?.version}), RSS ${mib(rssStart)}`);

    const run = async (count: number, intervalMs: number, firstSequence: number) => {
      const latencies: number[] = [];
      const stages = { decode: 0, preprocess: 0, inference: 0, postprocess: 0, total: 0 };
      let errors = 0;
      let first = Number.NaN;
      let last = Number.NaN;
      const outcomes: Array<Promise<void>> = [];
      const rss: Array<number | undefined> = [];
      let done = 0;
      const sampler = setInterval(() => {
        void processRssBytes(agent.pid).then((r) => rss.push(r));
      }, 1000);
      let half: number | undefined;
      const cpuBefore = await processCpuMs(agent.pid);
      const inferenceBefore = await threadsCpuMs(agent.pid, SESSION_THREAD_NAME_PREFIX);
      await runCameraSimulator({
        sources,
        cameraDir,
        intervalMs,
        count,
        firstSequence,
        uniqueBytes: true,
        ...(o.signal ? { signal: o.signal } : {}),
        onDrop: (d) => {
          if (Number.isNaN(first)) first = d.droppedAtMs;
          outcomes.push(
            Promise.race([
              watcher.inspection(d.file).then((a) => {
                latencies.push(a.atMs - d.droppedAtMs);
                for (const k of Object.keys(stages) as Array<keyof typeof stages>) {
                  stages[k] += a.inspection.timingsMs[k];
                }
                last = Number.isNaN(last) ? a.atMs : Math.max(last, a.atMs);
              }),
              watcher.errorFor(d.file).then(() => {
                errors += 1;
              }),
            ]).then(async () => {
              done += 1;
              if (done === Math.floor(count / 2)) half = await processRssBytes(agent.pid);
            }),
          );
        },
      });
      const settled = await Promise.race([
        Promise.all(outcomes).then(() => 'all' as const),
        new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 120_000 + count * 2000).unref()),
      ]);
      clearInterval(sampler);
      const cpuAfter = await processCpuMs(agent.pid);
      const inferenceAfter = await threadsCpuMs(agent.pid, SESSION_THREAD_NAME_PREFIX);
      const inferenceMs =
        detectorThread === 'worker' && inferenceBefore && inferenceAfter && inferenceAfter.threads > 0
          ? inferenceAfter.ms - inferenceBefore.ms
          : undefined;
      const end = await processRssBytes(agent.pid);
      const max = Math.max(...[...rss, end].filter((r): r is number => r !== undefined));
      return {
        latencies,
        errors,
        missing: settled === 'all' ? 0 : count - latencies.length - errors,
        elapsedMs: last - first,
        rss: { half, end, max: Number.isFinite(max) ? max : undefined },
        cpuMsPerImage:
          cpuBefore === undefined || cpuAfter === undefined ? undefined : (cpuAfter - cpuBefore) / Math.max(1, done),
        inference:
          inferenceMs === undefined || !(last > first)
            ? undefined
            : {
                perImage: inferenceMs / Math.max(1, done),
                coresBusy: inferenceMs / (last - first),
                threads: inferenceAfter?.threads ?? 0,
              },
        stageMeansMs: {
          decode: stages.decode / latencies.length,
          preprocess: stages.preprocess / latencies.length,
          inference: stages.inference / latencies.length,
          postprocess: stages.postprocess / latencies.length,
          total: stages.total / latencies.length,
        },
      };
    };

    const steadyInterval = 1000 / o.steadyRate;
    say(`latency run: ${o.steadyImages} images at ${o.steadyRate}/s…`);
    const steady = await run(o.steadyImages, steadyInterval, 1);
    const steadySummary = summarizeLatencies(steady.latencies);
    say(`latency at ${o.steadyRate}/s: p50 ${steadySummary.p50.toFixed(0)} ms, p95 ${steadySummary.p95.toFixed(0)} ms`);
    const beforeFlood = (await readMemorySamples(memoryFile)).length;
    const memoryStart = (await readMemorySamples(memoryFile)).at(-1);
    say(`throughput and memory run: ${o.images} images dropped at once…`);
    const flood = await run(o.images, 0, o.steadyImages + 1);
    // One more probe sample after the last image.
    await new Promise((r) => setTimeout(r, 1100));
    const floodSamples = (await readMemorySamples(memoryFile)).slice(beforeFlood);
    const memoryEnd = floodSamples.at(-1);
    const memoryPeak = floodSamples.reduce<MemorySample | undefined>(
      (a, b) => (a && a.rss >= b.rss ? a : b),
      undefined,
    );
    const e2e = perSecond(flood.latencies.length, flood.elapsedMs);
    say(
      `end-to-end ${e2e.toFixed(1)} images/s, ratio ${(e2e / raw.imagesPerSecond).toFixed(2)}, RSS after ${o.images}: ${mib(flood.rss.end)}, agent ${flood.cpuMsPerImage?.toFixed(1) ?? 'n/a'} CPU ms per image`,
    );
    return {
      precision,
      detectorThread,
      modelSha256: m.model.sha256,
      rawImagesPerSecond: raw.imagesPerSecond,
      rawMeanMs: raw.meanMs,
      rawAllCoresImagesPerSecond: rawAllCores.imagesPerSecond,
      rawAllCoresCpuMs: rawAllCores.cpuMsPerRun,
      rawAllCoresThreads: rawAllCores.threads,
      endToEndImagesPerSecond: e2e,
      headlineRatio: e2e / rawAllCores.imagesPerSecond,
      ratio: e2e / raw.imagesPerSecond,
      steady: { ...steadySummary, rate: o.steadyRate },
      floodLatency: summarizeLatencies(flood.latencies),
      stageMeansMs: flood.stageMeansMs,
      rssBytes: { start: rssStart, half: flood.rss.half, end: flood.rss.end, max: flood.rss.max },
      memory: { start: breakdown(memoryStart), peak: breakdown(memoryPeak), end: breakdown(memoryEnd) },
      cpuMs: {
        rawRun: raw.cpuMsPerRun,
        prepare: prepareCpuMs,
        agentPerImage: flood.cpuMsPerImage,
        ...(flood.inference ? { inference: flood.inference } : {}),
      },
      images: o.images,
      errors: flood.errors + steady.errors,
      missing: flood.missing + steady.missing,
    };
  } finally {
    await agent.stop();
    await watcher.close();
    await rm(root, { recursive: true, force: true });
  }
}

const mib = (b: number | undefined) => (b === undefined ? 'n/a' : `${(b / 1024 / 1024).toFixed(0)} MiB`);

export async function runBench(o: BenchOptions): Promise<BenchReport> {
  const sources = await sampleFiles();
  const inference = inferenceSettings(o);
  const broker = await startEmbeddedBroker();
  const results: PrecisionResult[] = [];
  try {
    for (const precision of o.precisions) {
      if (o.signal?.aborted) break;
      const figures = await measureRaw(precision, sources, o);
      for (const thread of detectorThreads(o)) {
        if (o.signal?.aborted) break;
        results.push(await benchAgent(precision, thread, figures, sources, broker.url, o));
      }
    }
  } finally {
    await broker.close();
  }
  return {
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version },
    samples: sources.length,
    threads: {
      intraOp: inference.intraOpThreads,
      interOp: inference.interOpThreads,
      inFlight: inference.inFlight,
      allowSpinning: inference.allowSpinning,
      pipelineNice: inference.pipelineNice,
    },
    env: performanceEnv(),
    results,
  };
}

/** The report as a table (one column per precision), then what the CPU figures say. */
export function formatBenchReport(r: BenchReport): string[] {
  const col = (f: (x: PrecisionResult) => string) => r.results.map((x) => f(x).padEnd(30)).join('');
  const n = (v: number | undefined, d = 0) => (v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(d));
  const mb = (b: number | undefined) => n(b === undefined ? undefined : b / 1048576);
  const env = Object.entries(r.env).map(([k, v]) => `${k}=${v}`);
  const lines = [
    `machine: ${r.machine.cpus} x ${r.machine.cpuModel}, Node ${r.machine.node}; ${r.samples} sample images cycled; onnxruntime threads intra ${r.threads.intraOp} (0 = automatic) inter ${r.threads.interOp}, spinning ${r.threads.allowSpinning ? 'on' : 'off'}, other threads at nice ${r.threads.pipelineNice} (worker), ${r.threads.inFlight} images in flight${env.length > 0 ? `; agent env ${env.join(' ')}` : ''}`,
    `${''.padEnd(40)}${col((x) => `${x.precision.toUpperCase()}, session in ${x.detectorThread === 'worker' ? 'worker' : 'main thread'}`)}`,
    `${'HEADLINE end-to-end / raw, thread/core'.padEnd(40)}${col((x) => `${n(x.headlineRatio, 2)} (${n(x.endToEndImagesPerSecond, 1)} / ${n(x.rawAllCoresImagesPerSecond, 1)})`)}`,
    `${'  (target >= 0.9; images/s, one run)'.padEnd(40)}`,
    `${'raw session.run, a thread per core'.padEnd(40)}${col((x) => `${n(x.rawAllCoresImagesPerSecond, 1)}/s, ${n(x.rawAllCoresCpuMs, 1)} CPU ms, ${x.rawAllCoresThreads} threads`)}`,
    ...(r.results.every((x) => x.rawAllCoresThreads === r.threads.intraOp)
      ? []
      : [
          `${`raw session.run, intra-op ${r.threads.intraOp} (agent's)`.padEnd(40)}${col((x) => `${n(x.rawImagesPerSecond, 1)}/s, ${n(x.cpuMs.rawRun, 1)} CPU ms`)}`,
          `${'  end-to-end / that'.padEnd(40)}${col((x) => n(x.ratio, 2))}`,
        ]),
    `${'end-to-end, file -> broker (images/s)'.padEnd(40)}${col((x) => n(x.endToEndImagesPerSecond, 1))}`,
    `${'latency p50 / p95 at steady rate (ms)'.padEnd(40)}${col((x) => `${n(x.steady.p50)} / ${n(x.steady.p95)} @${x.steady.rate}/s`)}`,
    `${'  (target p95 <= 150 ms at 5/s)'.padEnd(40)}`,
    `${'RSS start / half / end / max (MiB)'.padEnd(40)}${col((x) => [x.rssBytes.start, x.rssBytes.half, x.rssBytes.end, x.rssBytes.max].map(mb).join(' / '))}`,
    `${'  (target <= 256 MiB, no growth)'.padEnd(40)}${col((x) => `over ${x.images} images`)}`,
    `${'  at flood start / RSS peak / end:'.padEnd(40)}`,
    ...(
      [
        ['  JS heap used', (m: MemoryBreakdown) => m.heapUsed],
        ['  JS heap total (committed)', (m: MemoryBreakdown) => m.heapTotal],
        ['  external (buffers, tensors)', (m: MemoryBreakdown) => m.external],
        ['  native (RSS - heap total - external)', (m: MemoryBreakdown) => m.rss - m.heapTotal - m.external],
      ] as const
    ).map(
      ([label, f]) =>
        `${label.padEnd(40)}${col((x) => [x.memory.start, x.memory.peak, x.memory.end].map((m) => mb(m && f(m))).join(' / '))}`,
    ),
    `${'agent stages decode/prep/infer/post'.padEnd(40)}${col((x) => [x.stageMeansMs.decode, x.stageMeansMs.preprocess, x.stageMeansMs.inference, x.stageMeansMs.postprocess].map((v) => n(v)).join(' / '))}`,
    `${'  (mean wall ms per image, flood run)'.padEnd(40)}`,
    `${'CPU ms per image: raw run / prepare'.padEnd(40)}${col((x) => `${n(x.cpuMs.rawRun, 1)} / ${n(x.cpuMs.prepare, 1)}`)}`,
    `${'  prepare / raw run (target <= 0.35)'.padEnd(40)}${col((x) => n(x.cpuMs.prepare / x.cpuMs.rawRun, 2))}`,
    `${'CPU ms per image: agent (all stages)'.padEnd(40)}${col((x) => n(x.cpuMs.agentPerImage, 1))}`,
    `${'  of which inference thread(s)'.padEnd(40)}${col((x) => (x.cpuMs.inference ? `${n(x.cpuMs.inference.perImage, 1)}, ${n(x.cpuMs.inference.coresBusy, 2)} cores busy` : 'n/a'))}`,
    `${'  the rest (agent own: intake, prepare,'.padEnd(40)}${col((x) => (x.cpuMs.inference && x.cpuMs.agentPerImage !== undefined ? `${n(x.cpuMs.agentPerImage - x.cpuMs.inference.perImage, 1)} = ${n((x.cpuMs.agentPerImage - x.cpuMs.inference.perImage) / x.cpuMs.inference.perImage, 2)} x inference` : 'n/a'))}`,
    `${'   decode, publish, outbox) (<= 0.35 x)'.padEnd(40)}`,
    `${`CPU ceiling on ${r.machine.cpus} cores (images/s)`.padEnd(40)}${col((x) => `${n(ceiling(r, x), 1)} = ${n(ceiling(r, x) / x.rawImagesPerSecond, 2)} x raw`)}`,
    `${'errors / missing'.padEnd(40)}${col((x) => `${x.errors} / ${x.missing}`)}`,
  ];
  for (const x of r.results) {
    const c = ceiling(r, x);
    if (Number.isFinite(c) && c / x.rawImagesPerSecond < 0.9) {
      lines.push(
        `${x.precision.toUpperCase()} (${x.detectorThread}): the ratio target is out of reach on ${r.machine.cpus} cores with these settings: one image costs the agent ${n(x.cpuMs.agentPerImage, 1)} CPU ms (a raw session.run alone ${n(x.cpuMs.rawRun, 1)}, preparing ${n(x.cpuMs.prepare, 1)}), so at most ${n(c, 1)} images/s fit on the CPUs, ${n(c / x.rawImagesPerSecond, 2)} x the raw ${n(x.rawImagesPerSecond, 1)}.`,
      );
    }
  }
  return lines;
}

/** Images/s the agent could reach if it kept every core busy: cores x 1000 / its CPU ms per image. */
function ceiling(r: BenchReport, x: PrecisionResult): number {
  const per = x.cpuMs.agentPerImage;
  return per === undefined || per <= 0 ? Number.NaN : (r.machine.cpus * 1000) / per;
}
