/**
 * The baseline of the benchmark: onnxruntime's own session.run throughput on the model's bytes, with
 * the same session options the agent uses, on a prepared input tensor. Nothing else in the loop.
 */
import * as ort from 'onnxruntime-node';
import { perSecond } from './stats.ts';

export interface RawSessionOptions {
  readonly modelBytes: Uint8Array;
  /** Prepared inputs, NCHW float32, all of dims [1, 3, h, w]; the runs cycle through them. */
  readonly tensors: readonly Float32Array[];
  readonly dims: readonly number[];
  readonly inputName: string;
  readonly intraOpThreads: number;
  readonly interOpThreads: number;
  readonly runs: number;
  readonly warmupRuns?: number;
}

export interface RawSessionResult {
  readonly runs: number;
  readonly imagesPerSecond: number;
  readonly meanMs: number;
}

export async function rawSessionThroughput(o: RawSessionOptions): Promise<RawSessionResult> {
  const session = await ort.InferenceSession.create(o.modelBytes, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: o.intraOpThreads,
    interOpNumThreads: o.interOpThreads,
  });
  try {
    const feeds = o.tensors.map((t) => ({ [o.inputName]: new ort.Tensor('float32', t, [...o.dims]) }));
    const feed = (i: number) => feeds[i % feeds.length] as Record<string, ort.Tensor>;
    for (let i = 0; i < (o.warmupRuns ?? 3); i += 1) await session.run(feed(i));
    const start = performance.now();
    for (let i = 0; i < o.runs; i += 1) await session.run(feed(i));
    const elapsed = performance.now() - start;
    return { runs: o.runs, imagesPerSecond: perSecond(o.runs, elapsed), meanMs: elapsed / o.runs };
  } finally {
    await session.release();
  }
}
