/**
 * Decodes the raw output of an Ultralytics YOLOv8/YOLO11 detection model, layout [1, 4 + nc, N]
 * (row-major: cx, cy, w, h in input pixels, then one score per class, for each of N anchors), into
 * detections in original image pixels:
 *   1. per anchor, the best class (argmax, as Ultralytics with multi_label off); kept when its score
 *      is > thresholds.confidence (equal is dropped); anchors with a NaN/Inf score or box, or a
 *      negative width/height, are dropped;
 *   2. per-class NMS (nms.ts): IoU > thresholds.iou suppressed, best first, thresholds.maxDetections;
 *   3. boxes mapped back through the letterbox (minus padding, divided by scale) and clamped to the
 *      image; boxNormalized is the box divided by the image width/height.
 */
import { ModelIntegrityError } from '../errors.ts';
import { toSourceX, toSourceY } from './letterbox.ts';
import { type Candidate, nonMaxSuppression } from './nms.ts';
import type { DecodeContext, Detection, RawOutput } from './types.ts';

/** Checks the [1, 4 + nc, N] layout and returns nc and N. */
export function yoloLayoutOf(raw: RawOutput): { classCount: number; anchors: number } {
  const [batch, rows, anchors] = raw.dims;
  if (
    raw.dims.length !== 3 ||
    batch !== 1 ||
    rows === undefined ||
    anchors === undefined ||
    !Number.isInteger(rows) ||
    !Number.isInteger(anchors) ||
    rows < 5 ||
    anchors < 1 ||
    raw.data.length !== rows * anchors
  ) {
    throw new ModelIntegrityError(
      'MODEL_SHAPE_MISMATCH',
      `model output has dims ${JSON.stringify(raw.dims)} and ${raw.data.length} values, expected [1, 4 + classes, anchors]`,
    );
  }
  return { classCount: rows - 4, anchors };
}

const clamp = (v: number, max: number) => Math.min(max, Math.max(0, v));

export function decodeDetections(raw: RawOutput, ctx: DecodeContext): Detection[] {
  const { classCount: nc, anchors: n } = yoloLayoutOf(raw);
  const { data } = raw;
  const t = ctx.thresholds;
  const candidates: Candidate[] = [];
  for (let a = 0; a < n; a += 1) {
    let score = Number.NEGATIVE_INFINITY;
    let classId = -1;
    for (let c = 0; c < nc; c += 1) {
      const s = data[(4 + c) * n + a] as number;
      if (s > score) {
        score = s;
        classId = c;
      }
    }
    if (classId < 0 || !(score > t.confidence) || !Number.isFinite(score)) continue;
    const cx = data[a] as number;
    const cy = data[n + a] as number;
    const w = data[2 * n + a] as number;
    const h = data[3 * n + a] as number;
    if (!(Number.isFinite(cx) && Number.isFinite(cy) && Number.isFinite(w) && Number.isFinite(h))) continue;
    if (w < 0 || h < 0) continue;
    candidates.push({
      box: { x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2 },
      score,
      classId,
      index: a,
    });
  }
  const kept = nonMaxSuppression(candidates, { iou: t.iou, maxDetections: t.maxDetections });
  const g = ctx.geometry;
  const W = g.sourceWidth;
  const H = g.sourceHeight;
  return kept.map((k): Detection => {
    const x1 = clamp(toSourceX(g, k.box.x1), W);
    const y1 = clamp(toSourceY(g, k.box.y1), H);
    const x2 = clamp(toSourceX(g, k.box.x2), W);
    const y2 = clamp(toSourceY(g, k.box.y2), H);
    const box = { x: x1, y: y1, width: x2 - x1, height: y2 - y1 };
    return {
      label: ctx.classes[k.classId] ?? String(k.classId),
      classId: k.classId,
      confidence: clamp(k.score, 1),
      box,
      boxNormalized: {
        x: clamp(x1 / W, 1),
        y: clamp(y1 / H, 1),
        width: clamp(box.width / W, 1),
        height: clamp(box.height / H, 1),
      },
    };
  });
}
