/**
 * The reference of the synchronous API's latency: the single-image inspect time. In the calling process
 * (the benchmark runs it in one of its own: single-image-process.ts), one image at a time, sequentially, `rounds` times through every sample (so each
 * sample has its own reference: its median, the `perImage` figures): the agent's own
 * preparer (sharp: read from the page cache, hash, sniff, decode, EXIF orientation, letterbox into the
 * model's tensor) and the agent's own detector (its onnxruntime session, in a worker thread with the
 * agent's session settings, as the agent runs it). Not included: the decoding of the model's output and
 * the verdict (well under a millisecond), and any transport. Measured twice: from the encoded files
 * (what HTTP does) and from RGB pixels (what a Lookout for Vision bitmap does: no decode).
 * Beside it, the raw figure (raw-session.ts): session.run alone on the same images' prepared tensors.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  loadDetector,
  type OnnxDetectorOptions,
  sessionOptionsFor,
} from '@edgeqc/edge-component/adapters/onnx-detector';
import { createSharpImagePreparer } from '@edgeqc/edge-component/adapters/sharp-image-preparer';
import { LimitsConfigSchema } from '@edgeqc/edge-component/config';
import type { DemoBundle } from '@edgeqc/edge-component/demo-bundle';
import { verifyModelBundle } from '@edgeqc/edge-component/integrity';
import { type RawSessionResult, rawSessionThroughput } from '../raw-session.ts';
import { type LatencySummary, percentile, summarizeLatencies } from '../stats.ts';
import type { SyncSample } from './sync-samples.ts';

export interface SingleImageResult extends LatencySummary {
  readonly meanMs: number;
  /** Each sample's median, by sample index: the reference a request for that sample is set beside. */
  readonly perImage: readonly number[];
  /**
   * The reference's own spread: each of its runs over its own sample's median, summarized the way a
   * request's `relative` is. On a quiet machine its p95 is above 1: the floor of any path's relative p95.
   */
  readonly relative: LatencySummary;
}

export interface SingleImageFigures {
  readonly encoded: SingleImageResult;
  readonly rgb: SingleImageResult;
}

/** `times[i]`: the runs of sample i. */
const summary = (times: readonly (readonly number[])[]): SingleImageResult => {
  const all = times.flat();
  const perImage = times.map((t) => percentile(t, 50));
  return {
    ...summarizeLatencies(all),
    meanMs: all.reduce((a, b) => a + b, 0) / Math.max(1, all.length),
    perImage,
    relative: summarizeLatencies(times.flatMap((t, i) => t.map((ms) => ms / (perImage[i] as number)))),
  };
};

export async function measureSingleImage(
  bundle: DemoBundle,
  samples: readonly SyncSample[],
  settings: OnnxDetectorOptions,
  rounds: number,
  signal?: AbortSignal,
): Promise<SingleImageFigures> {
  const limits = LimitsConfigSchema.parse({});
  const preparer = createSharpImagePreparer(limits);
  const verified = await verifyModelBundle(bundle.dir, { trustedKeys: [bundle.publicKeyPem] });
  const detector = await loadDetector(verified, settings);
  const input = bundle.manifest.input;
  const infos = await Promise.all(samples.map((s) => stat(s.path)));
  try {
    // Warm-up: every sample once each way.
    for (const [i, s] of samples.entries()) {
      const info = infos[i] as Awaited<ReturnType<typeof stat>>;
      const image = await preparer.admit({ path: s.path, sizeBytes: Number(info.size), mtimeMs: Number(info.mtimeMs) });
      await detector.run((await preparer.prepare(image, input)).tensor);
    }
    const encoded = samples.map((): number[] => []);
    for (let round = 0; round < rounds && signal?.aborted !== true; round += 1) {
      for (const [i, s] of samples.entries()) {
        const info = infos[i] as Awaited<ReturnType<typeof stat>>;
        const t0 = performance.now();
        const image = await preparer.admit({
          path: s.path,
          sizeBytes: Number(info.size),
          mtimeMs: Number(info.mtimeMs),
        });
        await detector.run((await preparer.prepare(image, input)).tensor);
        encoded[i]?.push(performance.now() - t0);
      }
    }
    const rgb = samples.map((): number[] => []);
    for (let round = 0; round < rounds && signal?.aborted !== true; round += 1) {
      for (const [i, s] of samples.entries()) {
        const t0 = performance.now();
        const image = {
          path: `${s.file}.rgb`,
          file: `${s.file}.rgb`,
          bytes: s.rgb,
          sha256: createHash('sha256').update(s.rgb).digest('hex'),
          format: 'rgb' as const,
          rgb: { width: s.width, height: s.height },
          sizeBytes: s.rgb.length,
          mtimeMs: Date.now(),
        };
        await detector.run((await preparer.prepare(image, input)).tensor);
        rgb[i]?.push(performance.now() - t0);
      }
    }
    return { encoded: summary(encoded), rgb: summary(rgb) };
  } finally {
    await detector.close();
  }
}

/** session.run alone, with the agent's session settings, on the samples' tensors as the agent prepares them. */
export async function measureRawRun(
  bundle: DemoBundle,
  samples: readonly SyncSample[],
  settings: Parameters<typeof sessionOptionsFor>[0],
  runs: number,
): Promise<RawSessionResult> {
  const preparer = createSharpImagePreparer(LimitsConfigSchema.parse({}));
  const m = bundle.manifest;
  const tensors: Float32Array[] = [];
  for (const s of samples) {
    const info = await stat(s.path);
    const image = await preparer.admit({ path: s.path, sizeBytes: info.size, mtimeMs: info.mtimeMs });
    tensors.push((await preparer.prepare(image, m.input)).tensor);
  }
  return rawSessionThroughput({
    modelBytes: await readFile(join(bundle.dir, m.model.file)),
    sessionOptions: sessionOptionsFor(settings),
    tensors,
    dims: m.input.shape,
    inputName: m.input.name,
    runs,
  });
}
