/**
 * `edgeqc bench`: from one run on the same images (the demo model's samples), per precision:
 *   1. raw onnxruntime session.run throughput on the prepared sample tensors (the ceiling);
 *   2. the agent in its own process on a fresh camera folder, with the embedded broker:
 *      - latency at a steady rate (default 5 images/s): file renamed into the folder -> its inspection
 *        message arrives through the broker (the agent publishes at QoS 1);
 *      - end-to-end throughput: `images` files dropped as fast as the disk takes them, from the first
 *        drop to the last message; its ratio to (1);
 *      - RSS of the agent process before the first image, half-way and after the last one.
 * A script to run by hand, never a timed test: it prints figures, it asserts nothing.
 */
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Precision } from '@edgeqc/model-component/manifest';
import { startEmbeddedBroker } from '../../adapters/embedded-broker.ts';
// Stand-in (HD's) until adapters/sharp-image-preparer.ts lands.
import { createFallbackPreparer as createSharpImagePreparer } from '../../agent/fallback/fallback-inference.ts';
import { InferenceConfigSchema, LimitsConfigSchema } from '../../config/schema.ts';
import { runCameraSimulator } from '../camera-simulator.ts';
import { DEMO_SAMPLES_DIR, demoBundle } from '../demo-bundle.ts';
import { startAgentProcess } from './agent-process.ts';
import { watchDevice } from './arrivals.ts';
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
  readonly say: (line: string) => void;
  readonly signal?: AbortSignal;
}

export interface PrecisionResult {
  readonly precision: Precision;
  readonly modelSha256: string;
  readonly rawImagesPerSecond: number;
  readonly rawMeanMs: number;
  readonly endToEndImagesPerSecond: number;
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
  readonly images: number;
  readonly errors: number;
  readonly missing: number;
}

export interface BenchReport {
  readonly machine: { readonly cpus: number; readonly cpuModel: string; readonly node: string };
  readonly samples: number;
  readonly threads: { readonly intraOp: number; readonly interOp: number; readonly inFlight: number };
  readonly results: readonly PrecisionResult[];
}

async function sampleFiles(): Promise<string[]> {
  return (await readdir(DEMO_SAMPLES_DIR))
    .filter((f) => /\.(jpe?g|png)$/i.test(f))
    .sort()
    .map((f) => join(DEMO_SAMPLES_DIR, f));
}

async function benchPrecision(
  precision: Precision,
  sources: readonly string[],
  brokerUrl: string,
  o: BenchOptions,
): Promise<PrecisionResult> {
  const inference = InferenceConfigSchema.parse({});
  const limits = LimitsConfigSchema.parse({});
  const bundle = await demoBundle({ precision });
  const m = bundle.manifest;

  // 1. Raw session.run on the same images, prepared as the agent prepares them.
  const preparer = createSharpImagePreparer(limits);
  const tensors: Float32Array[] = [];
  for (const path of sources) {
    const info = await stat(path);
    const image = await preparer.admit({ path, sizeBytes: info.size, mtimeMs: info.mtimeMs });
    tensors.push((await preparer.prepare(image, m.input)).tensor);
  }
  o.say(`[${precision}] raw onnxruntime session.run x${o.rawRuns} on ${tensors.length} prepared samples…`);
  const raw = await rawSessionThroughput({
    modelBytes: await readFile(join(bundle.dir, m.model.file)),
    tensors,
    dims: m.input.shape,
    inputName: m.input.name,
    intraOpThreads: inference.intraOpThreads,
    interOpThreads: inference.interOpThreads,
    runs: o.rawRuns,
  });
  o.say(`[${precision}] raw: ${raw.imagesPerSecond.toFixed(1)} images/s (${raw.meanMs.toFixed(1)} ms per run)`);

  // 2. The agent in its own process.
  const root = await mkdtemp(join(tmpdir(), `edgeqc-bench-${precision}-`));
  const cameraDir = join(root, 'camera');
  const thing = `bench-${precision}`;
  const watcher = await watchDevice(brokerUrl, `edgeqc/${thing}`);
  const agent = startAgentProcess([
    '--camera-dir',
    cameraDir,
    '--model',
    bundle.dir,
    '--trusted-key',
    bundle.publicKeyFile,
    '--mqtt-url',
    brokerUrl,
    '--mqtt-version',
    '3.1.1',
    '--thing-name',
    thing,
    '--status-interval-sec',
    '5',
    '--log-level',
    'warn',
  ]);
  try {
    const online = await Promise.race([
      watcher.status((s) => s.state === 'online' && s.model !== null),
      agent.exited.then((code) => {
        throw new Error(`the agent exited with code ${code} before it was online:\n${agent.tail()}`);
      }),
    ]);
    const rssStart = await processRssBytes(agent.pid);
    o.say(`[${precision}] agent online (pid ${agent.pid}, model ${online.model?.version}), RSS ${mib(rssStart)}`);

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
      const end = await processRssBytes(agent.pid);
      const max = Math.max(...[...rss, end].filter((r): r is number => r !== undefined));
      return {
        latencies,
        errors,
        missing: settled === 'all' ? 0 : count - latencies.length - errors,
        elapsedMs: last - first,
        rss: { half, end, max: Number.isFinite(max) ? max : undefined },
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
    o.say(`[${precision}] latency run: ${o.steadyImages} images at ${o.steadyRate}/s…`);
    const steady = await run(o.steadyImages, steadyInterval, 1);
    const steadySummary = summarizeLatencies(steady.latencies);
    o.say(
      `[${precision}] latency at ${o.steadyRate}/s: p50 ${steadySummary.p50.toFixed(0)} ms, p95 ${steadySummary.p95.toFixed(0)} ms`,
    );
    o.say(`[${precision}] throughput and memory run: ${o.images} images dropped at once…`);
    const flood = await run(o.images, 0, o.steadyImages + 1);
    const e2e = perSecond(flood.latencies.length, flood.elapsedMs);
    o.say(
      `[${precision}] end-to-end ${e2e.toFixed(1)} images/s, ratio ${(e2e / raw.imagesPerSecond).toFixed(2)}, RSS after ${o.images}: ${mib(flood.rss.end)}`,
    );
    return {
      precision,
      modelSha256: m.model.sha256,
      rawImagesPerSecond: raw.imagesPerSecond,
      rawMeanMs: raw.meanMs,
      endToEndImagesPerSecond: e2e,
      ratio: e2e / raw.imagesPerSecond,
      steady: { ...steadySummary, rate: o.steadyRate },
      floodLatency: summarizeLatencies(flood.latencies),
      stageMeansMs: flood.stageMeansMs,
      rssBytes: { start: rssStart, half: flood.rss.half, end: flood.rss.end, max: flood.rss.max },
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
  const inference = InferenceConfigSchema.parse({});
  const broker = await startEmbeddedBroker();
  const results: PrecisionResult[] = [];
  try {
    for (const precision of o.precisions) {
      if (o.signal?.aborted) break;
      results.push(await benchPrecision(precision, sources, broker.url, o));
    }
  } finally {
    await broker.close();
  }
  return {
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version },
    samples: sources.length,
    threads: { intraOp: inference.intraOpThreads, interOp: inference.interOpThreads, inFlight: inference.inFlight },
    results,
  };
}

/** The report as a table (one column per precision). */
export function formatBenchReport(r: BenchReport): string[] {
  const col = (f: (x: PrecisionResult) => string) => r.results.map((x) => f(x).padEnd(26)).join('');
  const n = (v: number | undefined, d = 0) => (v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(d));
  return [
    `machine: ${r.machine.cpus} x ${r.machine.cpuModel}, Node ${r.machine.node}; ${r.samples} sample images cycled; onnxruntime threads intra ${r.threads.intraOp} (0 = automatic) inter ${r.threads.interOp}, ${r.threads.inFlight} images in flight`,
    `${''.padEnd(40)}${col((x) => x.precision.toUpperCase())}`,
    `${'raw session.run (images/s)'.padEnd(40)}${col((x) => n(x.rawImagesPerSecond, 1))}`,
    `${'end-to-end, file -> broker (images/s)'.padEnd(40)}${col((x) => n(x.endToEndImagesPerSecond, 1))}`,
    `${'ratio (target >= 0.9)'.padEnd(40)}${col((x) => n(x.ratio, 2))}`,
    `${'latency p50 / p95 at steady rate (ms)'.padEnd(40)}${col((x) => `${n(x.steady.p50)} / ${n(x.steady.p95)} @${x.steady.rate}/s`)}`,
    `${'  (target p95 <= 150 ms at 5/s)'.padEnd(40)}`,
    `${'RSS start / half / end / max (MiB)'.padEnd(40)}${col((x) => [x.rssBytes.start, x.rssBytes.half, x.rssBytes.end, x.rssBytes.max].map((b) => n(b === undefined ? undefined : b / 1048576)).join(' / '))}`,
    `${'  (target <= 256 MiB, no growth)'.padEnd(40)}${col((x) => `over ${x.images} images`)}`,
    `${'agent stages decode/prep/infer/post'.padEnd(40)}${col((x) => [x.stageMeansMs.decode, x.stageMeansMs.preprocess, x.stageMeansMs.inference, x.stageMeansMs.postprocess].map((v) => n(v)).join(' / '))}`,
    `${'  (mean ms per image, flood run)'.padEnd(40)}`,
    `${'errors / missing'.padEnd(40)}${col((x) => `${x.errors} / ${x.missing}`)}`,
  ];
}
