/**
 * The decoder and the letterbox maths against the demo model's reference outputs (computed in Python,
 * scripts/demo_model/reference.py): for every reference, our letterbox geometry of the sample equals the
 * reference's, and the raw output tensor decoded with the reference's thresholds gives the reference
 * detections. Reads the model's files at test time (the model is retrained from time to time).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeDetections } from '../../src/core/decode.ts';
import { letterboxGeometry } from '../../src/core/letterbox.ts';

const MODEL_DIR = join(import.meta.dirname, '..', '..', '..', 'model-component', 'models', 'tag-scratch');

interface Reference {
  image: string;
  inputSizePx: number;
  letterbox: { scale: number; padLeftPx: number; padTopPx: number };
  thresholds: { confidence: number; iou: number; maxDetections: number };
  output: { file: string; shape: number[] };
  detections: { classId: number; label: string; score: number; x1: number; y1: number; x2: number; y2: number }[];
}

const references = (await readdir(join(MODEL_DIR, 'reference'))).filter((f) => f.endsWith('.json')).sort();
const samples = JSON.parse(await readFile(join(MODEL_DIR, 'samples', 'index.json'), 'utf8')) as {
  file: string;
  widthPx: number;
  heightPx: number;
}[];
const labels = (await readFile(join(MODEL_DIR, 'labels.txt'), 'utf8')).split('\n').filter((l) => l.trim() !== '');

describe('decoder vs the demo model reference outputs', () => {
  it('has reference outputs to check against', () => {
    expect(references.length).toBeGreaterThan(0);
  });

  for (const name of references) {
    it(`decodes ${name} as the reference does`, async () => {
      const ref = JSON.parse(await readFile(join(MODEL_DIR, 'reference', name), 'utf8')) as Reference;
      const bin = await readFile(join(MODEL_DIR, 'reference', ref.output.file));
      const data = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
      const sample = samples.find((s) => `samples/${s.file}` === ref.image);
      if (!sample) throw new Error(`${ref.image} is not in samples/index.json`);
      const size = ref.inputSizePx;
      const geometry = letterboxGeometry(sample.widthPx, sample.heightPx, size, size);
      expect(geometry.scale).toBeCloseTo(ref.letterbox.scale, 12);
      expect([geometry.padLeft, geometry.padTop]).toEqual([ref.letterbox.padLeftPx, ref.letterbox.padTopPx]);

      const detections = decodeDetections(
        { data, dims: ref.output.shape },
        {
          geometry,
          classes: labels,
          thresholds: { ...ref.thresholds, review: 0.25, defect: 0.5 },
        },
      );
      expect(detections).toHaveLength(ref.detections.length);
      for (const [i, want] of ref.detections.entries()) {
        const got = detections[i];
        expect(got?.classId).toBe(want.classId);
        expect(got?.label).toBe(want.label);
        expect(got?.confidence).toBeCloseTo(want.score, 5);
        expect(got?.box.x).toBeCloseTo(want.x1, 2);
        expect(got?.box.y).toBeCloseTo(want.y1, 2);
        expect((got?.box.x ?? 0) + (got?.box.width ?? 0)).toBeCloseTo(want.x2, 2);
        expect((got?.box.y ?? 0) + (got?.box.height ?? 0)).toBeCloseTo(want.y2, 2);
      }
    });
  }
});
