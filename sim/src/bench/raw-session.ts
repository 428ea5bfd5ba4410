/**
 * The baseline of the benchmark: onnxruntime's own session.run throughput on the model's bytes, with
 * the session options the agent's detector uses (adapters/onnx-detector.ts sessionOptionsFor, same
 * thread counts), on the prepared input tensors of the same images. Nothing else in the loop. Also
 * the CPU time it takes per run (all threads of this process; nothing else runs here meanwhile).
 */
import * as ort from 'onnxruntime-node';
import { perSecond } from './stats.ts';

export interface RawSessionOptions {
  readonly modelBytes: Uint8Array;
  readonly sessionOptions: ort.InferenceSession.SessionOptions;
  /** Prepared inputs, NCHW float32, all of dims [1, 3, h, w]; the runs cycle through them. */
  readonly tensors: readonly Float32Array[];
  readonly dims: readonly number[];
  readonly inputName: string;
  readonly runs: number;
  readonly warmupRuns?: number;
}

export interface RawSessionResult {
  readonly runs: number;
  readonly imagesPerSecond: number;
  readonly meanMs: number;
  /** Process CPU time (user + system, every thread) per session.run. */
  readonly cpuMsPerRun: number;
}

export async function rawSessionThroughput(o: RawSessionOptions): Promise<RawSessionResult> {
  const session = await ort.InferenceSession.create(o.modelBytes, o.sessionOptions);
  try {
    const feeds = o.tensors.map((t) => ({ [o.inputName]: new ort.Tensor('float32', t, [...o.dims]) }));
    const feed = (i: number) => feeds[i % feeds.length] as Record<string, ort.Tensor>;
    for (let i = 0; i < (o.warmupRuns ?? 3); i += 1) await session.run(feed(i));
    const cpu = process.cpuUsage();
    const start = performance.now();
    for (let i = 0; i < o.runs; i += 1) await session.run(feed(i));
    const elapsed = performance.now() - start;
    const used = process.cpuUsage(cpu);
    return {
      runs: o.runs,
      imagesPerSecond: perSecond(o.runs, elapsed),
      meanMs: elapsed / o.runs,
      cpuMsPerRun: (used.user + used.system) / 1000 / o.runs,
    };
  } finally {
    await session.release();
  }
}
