/**
 * The demo model's detections on a test split with exactly the agent's inspection path: each image
 * admitted and prepared by the agent's preparer (adapters/sharp-image-preparer.ts), run by the agent's
 * detector (in this thread) and decoded by the agent's decoder (core/decode.ts) at the evaluation's
 * thresholds (confidence 0.001, the model's NMS IoU, 300 per image), boxes in original image pixels.
 * `edgeqc bench --accuracy` (sim/src/bench/accuracy.ts) scores them with the training pipeline's
 * evaluate.py.
 *
 * `letterbox: 'cv2'` prepares the images as the model was trained instead (the whole image decoded by
 * sharp, then cv2's INTER_LINEAR, core/letterbox-tensor.ts): a control run through the same decoder,
 * so the difference between the two is the preprocessing's alone.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { loadDetector } from '../adapters/onnx-detector.ts';
import { createSharpImagePreparer } from '../adapters/sharp-image-preparer.ts';
import { decodeDetections } from '../core/decode.ts';
import { letterboxGeometry } from '../core/letterbox.ts';
import { letterboxTensor } from '../core/letterbox-tensor.ts';
import type { LetterboxGeometry, ManifestInputSpec, VerifiedBundle } from '../core/types.ts';

export type EvalLetterbox = 'agent' | 'cv2';

export interface SplitDetectionOptions {
  readonly bundle: VerifiedBundle;
  /** The split's images (JPEG, PNG), in name order. */
  readonly imagesDir: string;
  readonly letterbox: EvalLetterbox;
  /** NMS IoU of the evaluation (the model's deployed one). */
  readonly iou: number;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface ImageDetections {
  readonly file: string;
  /** [x1, y1, x2, y2] in original image pixels, best first. */
  readonly boxes: number[][];
  readonly scores: number[];
}

/** The evaluation's thresholds (evaluate.py): every candidate that could count for mAP. */
const EVAL_CONFIDENCE = 0.001;
const EVAL_MAX_DETECTIONS = 300;

/** The model's input prepared as it was trained: the whole image, then cv2's INTER_LINEAR. */
async function cv2Prepared(
  bytes: Uint8Array,
  input: ManifestInputSpec,
): Promise<{ tensor: Float32Array; geometry: LetterboxGeometry }> {
  const { data, info } = await sharp(bytes, { autoOrient: true })
    .removeAlpha()
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  const [, , h, w] = input.shape;
  const geometry = letterboxGeometry(info.width, info.height, w, h);
  const pixels = { data, width: info.width, height: info.height, channels: 3 };
  return { tensor: letterboxTensor(pixels, geometry, input), geometry };
}

export async function detectSplit(o: SplitDetectionOptions): Promise<ImageDetections[]> {
  const m = o.bundle.manifest;
  const detector = await loadDetector(o.bundle, { intraOpThreads: 0, interOpThreads: 0 });
  const preparer = createSharpImagePreparer({ maxFileBytes: 50_000_000, maxPixels: 8192 * 8192 });
  const files = (await readdir(o.imagesDir)).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort();
  const out: ImageDetections[] = [];
  try {
    for (const [i, file] of files.entries()) {
      const path = join(o.imagesDir, file);
      const image = await preparer.admit({ path, sizeBytes: 0, mtimeMs: 0 });
      const { tensor, geometry } =
        o.letterbox === 'agent' ? await preparer.prepare(image, m.input) : await cv2Prepared(image.bytes, m.input);
      const detections = decodeDetections(await detector.run(tensor), {
        geometry,
        classes: m.classes,
        thresholds: { ...m.thresholds, confidence: EVAL_CONFIDENCE, iou: o.iou, maxDetections: EVAL_MAX_DETECTIONS },
      });
      out.push({
        file,
        boxes: detections.map((d) => [d.box.x, d.box.y, d.box.x + d.box.width, d.box.y + d.box.height]),
        scores: detections.map((d) => d.confidence),
      });
      o.onProgress?.(i + 1, files.length);
    }
  } finally {
    await detector.close();
  }
  return out;
}

/** The model's deployed NMS IoU: thresholds.json beside it (as evaluate.py reads it), else the manifest's. */
export async function deployedIou(modelDir: string, manifestIou: number): Promise<number> {
  const text = await readFile(join(modelDir, 'thresholds.json'), 'utf8').catch(() => undefined);
  const iou = text === undefined ? undefined : (JSON.parse(text) as { iou?: unknown }).iou;
  return typeof iou === 'number' ? iou : manifestIou;
}
