/**
 * `edgeqc bench`: the benchmark (run-bench.ts), run by hand. Prints raw onnxruntime
 * throughput, end-to-end agent throughput and their ratio, latency p50/p95 at a steady rate, and the
 * agent's RSS over the run, INT8 and FP32 side by side. Not a test: it asserts nothing.
 */
import { parseArgs } from 'node:util';
import type { Command, CommandIo } from '@edgeqc/model-component/cli';
import type { Precision } from '@edgeqc/model-component/manifest';
import { runAccuracyCommand } from './accuracy-command.ts';
import { runInspectBenchCommand } from './inspect-bench-command.ts';
import { runSyncBenchCommand } from './sync/sync-bench-command.ts';

const HELP = `usage: edgeqc bench [--images 5000] [--rate 5] [--steady-images 150] [--raw-runs 300]
                    [--precision int8,fp32] [--intra-op-threads n] [--inter-op-threads n]
                    [--in-flight n] [--detector-thread worker,main] [--[no-]allow-spinning]
                    [--pipeline-nice n] [--json]

Benchmarks the agent on the demo model's sample images (each drop made unique, so none is a duplicate),
per precision: raw onnxruntime session.run throughput on the prepared samples, with the agent's thread
settings and with one intra-op thread per core (the headline's baseline); the agent in its own
process with the embedded broker: latency (file renamed into the camera folder -> message through the
broker) at a steady rate, then end-to-end throughput and RSS while --images files land at once.
Targets on the 2-core reference machine: end-to-end >= 0.9 x raw with a thread per core, p95 <= 150 ms at 5 images/s,
RSS <= 256 MiB with no growth. Also prints where the agent's memory is (JS heap, buffers, native) and
its CPU time per image beside a raw session.run's and a preparation's: on few cores that bounds the
end-to-end throughput; and, with the session in a worker, its inference thread(s)' CPU time per image
and how many cores they kept busy (near 1 with one intra-op thread: the model sets the pace). Takes minutes (5000 images per precision); run it on an idle machine.
MALLOC_ARENA_MAX, MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_, MALLOC_CONF, LD_PRELOAD, UV_THREADPOOL_SIZE, VIPS_CONCURRENCY and
OMP_NUM_THREADS and NODE_OPTIONS set for the benchmark are
passed on to the agent (and apply to the raw baseline, which runs in this process).
EDGEQC_BENCH_AGENT_NODE_ARGS adds Node flags to the agent process only, e.g.
'--cpu-prof --cpu-prof-dir=/tmp/prof' for a CPU profile of the agent.

options:
  --accuracy           evaluate the demo model's accuracy on its test split with the agent's own
                       preprocessing instead (its options: edgeqc bench --accuracy --help)
  --inspect            time edgeqc inspect DIR beside a sequential Python script with OpenCV and
                       onnxruntime instead (its options: edgeqc bench --inspect --help)
  --sync               benchmark the synchronous API instead (HTTP, gRPC inline and shared memory
                       against the single-image inspect time and the folder throughput; its options:
                       edgeqc bench --sync --help)
  --images <n>         images for the throughput and memory run, per precision (default 5000)
  --rate <n>           images per second in the latency run (default 5)
  --steady-images <n>  images in the latency run (default 150)
  --raw-runs <n>       session.run calls for the raw figure (default 300)
  --precision <list>   int8, fp32 or int8,fp32 (default int8,fp32)
  --intra-op-threads <n>, --inter-op-threads <n>, --in-flight <n>
                       the agent's inference settings (config inference.*), also used by the raw
                       baseline (default: the config's defaults)
  --detector-thread <list>
                       where the agent runs its onnxruntime session: worker, main or worker,main
                       (one agent run each, side by side against the same raw figure; default: the
                       config's inference.detectorThread)
  --allow-spinning, --no-allow-spinning
                       onnxruntime's thread pools spin while waiting for work, in the agent and the
                       raw baseline alike (config inference.allowSpinning; default: the config's)
  --pipeline-nice <n>  nice value (0-19) of the agent's threads other than the inference thread, with
                       the session in a worker (config inference.pipelineNice; default: the config's;
                       0 leaves priorities alone)
  --json               print the report as JSON (progress still on stderr)
`;

function wholeNumber(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new Error(`--${name} ${JSON.stringify(value)}: expected a whole number >= ${min}`);
  return n;
}

function niceValue(value: string | undefined): number | undefined {
  const n = wholeNumber('pipeline-nice', value, 0);
  if (n !== undefined && n > 19)
    throw new Error(`--pipeline-nice ${JSON.stringify(value)}: expected a nice value from 0 to 19`);
  return n;
}

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  return wholeNumber(name, value, 1) ?? fallback;
}

async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const syncArgv = argv.filter((a) => a !== '--sync');
  if (syncArgv.length < argv.length) return runSyncBenchCommand(syncArgv, io);
  const accuracyArgv = argv.filter((a) => a !== '--accuracy');
  if (accuracyArgv.length < argv.length) return runAccuracyCommand(accuracyArgv, io);
  const inspectArgv = argv.filter((a) => a !== '--inspect');
  if (inspectArgv.length < argv.length) return runInspectBenchCommand(inspectArgv, io);
  let options: {
    images: number;
    steadyRate: number;
    steadyImages: number;
    rawRuns: number;
    precisions: Precision[];
    inference: {
      intraOpThreads?: number;
      interOpThreads?: number;
      inFlight?: number;
      allowSpinning?: boolean;
      pipelineNice?: number;
    };
    detectorThreads?: Array<'worker' | 'main'>;
    json: boolean;
  };
  try {
    const { values } = parseArgs({
      args: [...argv],
      allowNegative: true,
      options: {
        images: { type: 'string' },
        rate: { type: 'string' },
        'steady-images': { type: 'string' },
        'raw-runs': { type: 'string' },
        precision: { type: 'string' },
        'intra-op-threads': { type: 'string' },
        'inter-op-threads': { type: 'string' },
        'in-flight': { type: 'string' },
        'detector-thread': { type: 'string' },
        'allow-spinning': { type: 'boolean' },
        'pipeline-nice': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      io.stdout.write(HELP);
      return 0;
    }
    const precisions = (values.precision ?? 'int8,fp32').split(',').map((p) => p.trim());
    for (const p of precisions) {
      if (p !== 'int8' && p !== 'fp32') throw new Error(`--precision ${JSON.stringify(p)}: expected int8 or fp32`);
    }
    const detectorThreads = values['detector-thread']?.split(',').map((t) => t.trim());
    for (const t of detectorThreads ?? []) {
      if (t !== 'worker' && t !== 'main') {
        throw new Error(`--detector-thread ${JSON.stringify(t)}: expected worker, main or worker,main`);
      }
    }
    options = {
      images: positiveInt('images', values.images, 5000),
      steadyRate: positiveInt('rate', values.rate, 5),
      steadyImages: positiveInt('steady-images', values['steady-images'], 150),
      rawRuns: positiveInt('raw-runs', values['raw-runs'], 300),
      precisions: precisions as Precision[],
      inference: Object.fromEntries(
        Object.entries({
          intraOpThreads: wholeNumber('intra-op-threads', values['intra-op-threads'], 0),
          interOpThreads: wholeNumber('inter-op-threads', values['inter-op-threads'], 0),
          inFlight: wholeNumber('in-flight', values['in-flight'], 1),
          allowSpinning: values['allow-spinning'],
          pipelineNice: niceValue(values['pipeline-nice']),
        }).filter(([, v]) => v !== undefined),
      ),
      ...(detectorThreads ? { detectorThreads: detectorThreads as Array<'worker' | 'main'> } : {}),
      json: values.json === true,
    };
  } catch (err) {
    io.stderr.write(`edgeqc bench: ${err instanceof Error ? err.message : String(err)}\n\n${HELP}`);
    return 2;
  }
  const { formatBenchReport, runBench } = await import('./run-bench.ts');
  const say = (line: string) => io.stderr.write(`${line}\n`);
  try {
    const report = await runBench({ ...options, say, signal: io.signal });
    io.stdout.write(
      options.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatBenchReport(report).join('\n')}\n`,
    );
    return 0;
  } catch (err) {
    const e = err as { code?: string; message?: string };
    io.stderr.write(`edgeqc bench: ${e.code ? `${e.code}: ` : ''}${e.message ?? String(err)}\n`);
    return 1;
  }
}

export const benchCommand: Command = {
  name: 'bench',
  summary: 'benchmark raw onnxruntime vs the agent end to end, latency and memory (INT8 and FP32)',
  run,
};
