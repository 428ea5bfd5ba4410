/** Builders for the metrics tests: a model reference and image samples with chosen figures. */
import type { ModelRef } from '../../src/contracts/inspection.ts';
import type { ImageSample } from '../../src/metrics/image-sample.ts';

export const modelA: ModelRef = { name: 'tag-scratch', version: '1.0.0', sha256: 'a'.repeat(64), precision: 'int8' };
export const modelB: ModelRef = { name: 'tag-scratch', version: '1.1.0', sha256: 'b'.repeat(64), precision: 'int8' };

export function sample(atMs: number, over: Partial<ImageSample> = {}): ImageSample {
  return { atMs, verdict: 'ok', bestScore: 0, detections: 0, prepareMs: 10, inferenceMs: 20, ...over };
}

/** `n` samples one second apart from `fromMs`, with best scores cycling through `scores`. */
export function samples(n: number, fromMs: number, scores: readonly number[]): ImageSample[] {
  return Array.from({ length: n }, (_, i) => {
    const bestScore = scores[i % scores.length] as number;
    return sample(fromMs + i * 1000, {
      bestScore,
      verdict: bestScore >= 0.5 ? 'defect' : bestScore >= 0.25 ? 'unclear' : 'ok',
      detections: bestScore > 0 ? 1 : 0,
    });
  });
}
