/**
 * Greedy non-maximum suppression per class, as Ultralytics' non_max_suppression (and the demo
 * model's Python reference) does it: candidates best first (ties: lower anchor index first); a
 * candidate is suppressed when its IoU with an already kept box of the SAME class is greater than
 * `iou` (equal is kept); the first `maxDetections` kept boxes are returned, best first.
 */

/** A box corner pair in one coordinate system: x1 <= x2, y1 <= y2. */
export interface BoxXyxy {
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
}

export interface Candidate {
  readonly box: BoxXyxy;
  readonly score: number;
  readonly classId: number;
  /** Anchor index in the model output (tie-break: lower first). */
  readonly index: number;
}

export interface NmsOptions {
  /** Suppress when IoU > iou (0 < iou <= 1). */
  readonly iou: number;
  readonly maxDetections: number;
}

/** Intersection over union of two boxes; 0 when both are empty. */
export function iouOf(a: BoxXyxy, b: BoxXyxy): number {
  const w = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const h = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  const union = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter;
  return union > 0 ? inter / union : 0;
}

/** Best first; equal scores: lower anchor index first. */
export function byScoreThenIndex(a: Candidate, b: Candidate): number {
  return b.score - a.score || a.index - b.index;
}

/** The kept candidates, best first, at most `maxDetections`. Does not modify `candidates`. */
export function nonMaxSuppression<C extends Candidate>(candidates: readonly C[], options: NmsOptions): C[] {
  const sorted = [...candidates].sort(byScoreThenIndex);
  const keptByClass = new Map<number, C[]>();
  const kept: C[] = [];
  for (const c of sorted) {
    if (kept.length >= options.maxDetections) break;
    const same = keptByClass.get(c.classId);
    if (same?.some((k) => iouOf(k.box, c.box) > options.iou)) continue;
    if (same) same.push(c);
    else keptByClass.set(c.classId, [c]);
    kept.push(c);
  }
  return kept;
}
