/**
 * One inspection: inference on a prepared image, decoding (core/decode.ts), verdict (core/verdict.ts)
 * and the `edgeqc.inspection.v1` message, validated with its schema before it leaves. Thresholds are the
 * model manifest's, overridden by the configured ones (undefined values do not override). Timings:
 * decode and preprocess from the preparer, inference and postprocess measured here, total their sum.
 */
import { INSPECTION_SCHEMA_ID, type Inspection, InspectionSchema, MAX_DETECTIONS } from '../contracts/inspection.ts';
import { decodeDetections } from '../core/decode.ts';
import { messageIdOf } from '../core/message-id.ts';
import type { Thresholds } from '../core/types.ts';
import { verdictOf } from '../core/verdict.ts';
import type { Detector, PreparedImage } from '../ports.ts';

export interface InspectOptions {
  readonly thingName: string;
  /** Overrides of the manifest's thresholds (from the agent configuration). */
  readonly thresholds?: Partial<Thresholds>;
  /** Clock for inspectedAt (tests). Default: the system clock. */
  readonly now?: () => Date;
}

/**
 * The manifest's thresholds with the defined overrides applied; at most MAX_DETECTIONS detections,
 * the message's own cap, whatever a manifest allows (more would make an image unreportable).
 */
export function effectiveThresholds(defaults: Thresholds, overrides: Partial<Thresholds> = {}): Thresholds {
  const defined = Object.entries(overrides).filter(([, v]) => v !== undefined);
  const merged: Thresholds = { ...defaults, ...Object.fromEntries(defined) };
  return { ...merged, maxDetections: Math.min(merged.maxDetections, MAX_DETECTIONS) };
}

export async function inspectImage(
  prepared: PreparedImage,
  detector: Detector,
  options: InspectOptions,
): Promise<Inspection> {
  const m = detector.manifest;
  const thresholds = effectiveThresholds(m.thresholds, options.thresholds);
  const t0 = performance.now();
  const raw = await detector.run(prepared.tensor);
  const t1 = performance.now();
  const detections = decodeDetections(raw, { geometry: prepared.geometry, classes: m.classes, thresholds });
  const verdict = verdictOf(detections, thresholds);
  const t2 = performance.now();
  const { decode, preprocess } = prepared.timingsMs;
  const inference = t1 - t0;
  const postprocess = t2 - t1;
  return InspectionSchema.parse({
    schema: INSPECTION_SCHEMA_ID,
    messageId: messageIdOf(prepared.image.sha256, detector.model.sha256),
    thingName: options.thingName,
    image: {
      file: prepared.image.file,
      sha256: prepared.image.sha256,
      width: prepared.width,
      height: prepared.height,
    },
    capturedAt: new Date(prepared.image.mtimeMs).toISOString(),
    inspectedAt: (options.now?.() ?? new Date()).toISOString(),
    model: detector.model,
    verdict,
    thresholds: {
      confidence: thresholds.confidence,
      iou: thresholds.iou,
      review: thresholds.review,
      defect: thresholds.defect,
    },
    detections,
    timingsMs: { decode, preprocess, inference, postprocess, total: decode + preprocess + inference + postprocess },
  });
}
