/**
 * The verdict of one inspection from its detections: `defect` when the best score is at or above the
 * defect threshold; `unclear` when it is at or above the review threshold (but below defect: for a
 * person to decide); otherwise (no detection, or all below review) `ok`.
 */
import type { Detection, Thresholds, Verdict } from './types.ts';

export function verdictOf(
  detections: readonly Pick<Detection, 'confidence'>[],
  thresholds: Pick<Thresholds, 'review' | 'defect'>,
): Verdict {
  let best = 0;
  for (const d of detections) if (d.confidence > best) best = d.confidence;
  if (detections.length > 0 && best >= thresholds.defect) return 'defect';
  if (detections.length > 0 && best >= thresholds.review) return 'unclear';
  return 'ok';
}
