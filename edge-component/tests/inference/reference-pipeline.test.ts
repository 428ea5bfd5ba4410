/**
 * The agent's whole inference path (sharp preparer, onnxruntime detector, decoder) against the demo
 * model's reference outputs computed in Python (PIL decode, cv2 INTER_LINEAR letterbox, onnxruntime):
 * for each reference made with the current INT8 model, every clear reference detection is found again
 * (same class, IoU >= 0.8, a close score). Nothing about the model is hard-coded: it and its
 * references are read at test time.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDetector } from '../../src/adapters/onnx-detector.ts';
import { createSharpImagePreparer } from '../../src/adapters/sharp-image-preparer.ts';
import { decodeDetections } from '../../src/core/decode.ts';
import { iouOf } from '../../src/core/nms.ts';
import type { Detector } from '../../src/ports.ts';
import { demoBundle, MODEL_DIR } from './real-model.ts';

interface Reference {
  image: string;
  model: string;
  modelSha256: string;
  thresholds: { confidence: number; iou: number; maxDetections: number };
  inputSizePx: number;
  output: { file: string; shape: number[] };
  detections: { classId: number; score: number; x1: number; y1: number; x2: number; y2: number }[];
}

/** Detections at least this sure must be found again. */
const CLEAR_SCORE = 0.3;
/** How far a score may move with the agent's preprocessing. */
const SCORE_TOLERANCE = 0.1;

const int8Sha = createHash('sha256')
  .update(await readFile(join(MODEL_DIR, 'model.int8.onnx')))
  .digest('hex');
const references: { name: string; ref: Reference }[] = [];
for (const name of (await readdir(join(MODEL_DIR, 'reference'))).filter((f) => f.endsWith('.json')).sort()) {
  const ref = JSON.parse(await readFile(join(MODEL_DIR, 'reference', name), 'utf8')) as Reference;
  if (ref.modelSha256 === int8Sha) references.push({ name, ref });
}

const preparer = createSharpImagePreparer({ maxFileBytes: 50_000_000, maxPixels: 8192 * 8192 });
let detector: Detector;
beforeAll(async () => {
  detector = await loadDetector(await demoBundle('int8'), { intraOpThreads: 1, interOpThreads: 1 });
});
afterAll(async () => {
  await detector?.close();
});

describe('sharp preparer + onnx detector + decoder vs the Python reference pipeline', () => {
  it('has reference outputs made with the current INT8 model', () => {
    expect(references.length, `no reference/*.json has modelSha256 ${int8Sha} (stale references?)`).toBeGreaterThan(0);
  });

  for (const { name, ref } of references) {
    it(`reproduces ${name}`, async () => {
      const path = join(MODEL_DIR, ref.image);
      const image = await preparer.admit({ path, sizeBytes: 0, mtimeMs: 0 });
      const prepared = await preparer.prepare(image, detector.manifest.input);
      const raw = await detector.run(prepared.tensor);
      expect(raw.dims).toEqual(ref.output.shape);

      // Not the raw output: the agent letterboxes in libvips (shrink-on-load, an antialiased linear
      // resize), not with cv2's INTER_LINEAR, so its input differs from the reference's by a few grey
      // levels; what must hold is what the model finds (its accuracy on the test split: `edgeqc eval`).
      const ours = decodeDetections(raw, {
        geometry: prepared.geometry,
        classes: detector.manifest.classes,
        thresholds: { ...ref.thresholds, review: 0.25, defect: 0.5 },
      });
      for (const r of ref.detections.filter((d) => d.score >= CLEAR_SCORE)) {
        const match = ours.find(
          (d) =>
            d.classId === r.classId &&
            Math.abs(d.confidence - r.score) <= SCORE_TOLERANCE &&
            iouOf(r, { x1: d.box.x, y1: d.box.y, x2: d.box.x + d.box.width, y2: d.box.y + d.box.height }) >= 0.8,
        );
        expect(match, `reference detection ${JSON.stringify(r)} not found`).toBeDefined();
      }
      const refBest = Math.max(0, ...ref.detections.map((d) => d.score));
      const ourBest = Math.max(0, ...ours.map((d) => d.confidence));
      expect(Math.abs(ourBest - refBest)).toBeLessThanOrEqual(SCORE_TOLERANCE);
    });
  }
});
