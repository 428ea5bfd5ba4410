/**
 * The agent's whole inference path (sharp preparer, onnxruntime detector, decoder) against the demo
 * model's reference outputs computed in Python (PIL decode, cv2 INTER_LINEAR letterbox, onnxruntime):
 * for each reference made with the current INT8 model, the raw output of the sample prepared here is
 * the reference output (within a small tolerance), and every clear reference detection is found
 * again. Nothing about the model is hard-coded: it and its references are read at test time.
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

/** Detections at least this sure must be found again; ours at least this sure must be in the reference. */
const CLEAR_SCORE = 0.3;

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
      const bin = await readFile(join(MODEL_DIR, 'reference', ref.output.file));
      const want = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
      const path = join(MODEL_DIR, ref.image);
      const image = await preparer.admit({ path, sizeBytes: 0, mtimeMs: 0 });
      const prepared = await preparer.prepare(image, detector.manifest.input);
      const raw = await detector.run(prepared.tensor);
      expect(raw.dims).toEqual(ref.output.shape);

      // Raw output. A PNG decodes to the same pixels in PIL and sharp, so the output must match to
      // float rounding. A JPEG does not: libjpeg's IDCT and chroma upsampling differ by a grey level
      // here and there, and INT8 rounding turns that into small score changes and, for anchors that
      // see only background, into box values that mean nothing. So for JPEG: scores close everywhere,
      // boxes close wherever the reference scores the anchor as a candidate.
      const anchors = ref.output.shape[2] as number;
      const rows = ref.output.shape[1] as number;
      const value = (row: number, a: number) => raw.data[row * anchors + a] as number;
      const wanted = (row: number, a: number) => want[row * anchors + a] as number;
      if (ref.image.toLowerCase().endsWith('.png')) {
        const worst = want.reduce((m, v, i) => Math.max(m, Math.abs((raw.data[i] as number) - v)), 0);
        expect(worst).toBeLessThan(1e-3);
      }
      let scoresOff = 0;
      let worstScore = 0;
      let worstBox = 0;
      for (let a = 0; a < anchors; a++) {
        let best = 0;
        for (let row = 4; row < rows; row++) {
          const diff = Math.abs(value(row, a) - wanted(row, a));
          worstScore = Math.max(worstScore, diff);
          if (diff > 0.01) scoresOff++;
          best = Math.max(best, wanted(row, a));
        }
        if (best < ref.thresholds.confidence) continue;
        for (let row = 0; row < 4; row++) worstBox = Math.max(worstBox, Math.abs(value(row, a) - wanted(row, a)));
      }
      expect(scoresOff / (anchors * (rows - 4))).toBeLessThan(0.01);
      expect(worstScore).toBeLessThan(0.15);
      expect(worstBox, 'box of a candidate anchor, in input pixels').toBeLessThan(0.01 * ref.inputSizePx);

      const ours = decodeDetections(raw, {
        geometry: prepared.geometry,
        classes: detector.manifest.classes,
        thresholds: { ...ref.thresholds, review: 0.25, defect: 0.5 },
      });
      for (const r of ref.detections.filter((d) => d.score >= CLEAR_SCORE)) {
        const match = ours.find(
          (d) =>
            d.classId === r.classId &&
            Math.abs(d.confidence - r.score) <= 0.05 &&
            iouOf(r, { x1: d.box.x, y1: d.box.y, x2: d.box.x + d.box.width, y2: d.box.y + d.box.height }) >= 0.8,
        );
        expect(match, `reference detection ${JSON.stringify(r)} not found`).toBeDefined();
      }
      const refBest = Math.max(0, ...ref.detections.map((d) => d.score));
      const ourBest = Math.max(0, ...ours.map((d) => d.confidence));
      expect(Math.abs(ourBest - refBest)).toBeLessThanOrEqual(0.05);
    });
  }
});
