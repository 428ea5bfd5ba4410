/**
 * What the model metrics keep of one inspection: its verdict, its best detection score, how many
 * detections it had and how long preparing and inferring took. Pure.
 *
 * Latency: `prepare` is the inspection's decode + preprocess time (the preparer: decode, orient,
 * letterbox), `inference` its inference time (the model run alone; postprocess is not in it).
 */
import type { Verdict } from '@edgeqc/model-component/manifest';
import type { Inspection } from '../contracts/inspection.ts';
import { SCORE_BIN_COUNT } from '../contracts/metrics.ts';

export interface ImageSample {
  /** When the inspection was committed (ms since the epoch). */
  readonly atMs: number;
  readonly verdict: Verdict;
  /** The highest detection confidence, 0 when there is no detection. */
  readonly bestScore: number;
  readonly detections: number;
  readonly prepareMs: number;
  readonly inferenceMs: number;
}

export function imageSampleOf(inspection: Inspection, atMs: number): ImageSample {
  let best = 0;
  for (const d of inspection.detections) if (d.confidence > best) best = d.confidence;
  const t = inspection.timingsMs;
  return {
    atMs,
    verdict: inspection.verdict,
    bestScore: best,
    detections: inspection.detections.length,
    prepareMs: t.decode + t.preprocess,
    inferenceMs: t.inference,
  };
}

/** The histogram bin of a score in [0, 1]: ten bins of width 0.1, the last one including 1. */
export function scoreBin(score: number): number {
  if (!(score > 0)) return 0;
  return Math.min(SCORE_BIN_COUNT - 1, Math.floor(score * SCORE_BIN_COUNT));
}

export const emptyBins = (): number[] => new Array<number>(SCORE_BIN_COUNT).fill(0);
