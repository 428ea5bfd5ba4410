/**
 * The stand-in decoder against the demo model's reference outputs (computed in Python): the raw
 * output tensors decoded with the reference's letterbox and thresholds give the reference detections.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Manifest } from '@edgeqc/model-component/manifest';
import { describe, expect, it } from 'vitest';
import { decodeYoloOutput } from '../../src/agent/fallback/fallback-inference.ts';
import { PROJECT_ROOT } from './harness.ts';

const MODEL_DIR = join(PROJECT_ROOT, 'model-component', 'models', 'tag-scratch');

interface Reference {
  image: string;
  inputSizePx: number;
  letterbox: { scale: number; padLeftPx: number; padTopPx: number };
  thresholds: { confidence: number; iou: number; maxDetections: number };
  output: { file: string; shape: number[] };
  detections: { classId: number; score: number; x1: number; y1: number; x2: number; y2: number }[];
}

const references = (await readdir(join(MODEL_DIR, 'reference'))).filter((f) => f.endsWith('.json')).sort();
const samples = JSON.parse(await readFile(join(MODEL_DIR, 'samples', 'index.json'), 'utf8')) as {
  file: string;
  widthPx: number;
  heightPx: number;
}[];

describe('stand-in YOLO decoder vs the reference outputs', () => {
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
      const detections = decodeYoloOutput(
        data,
        ref.output.shape,
        { classes: ['scratch'] } as unknown as Manifest,
        {
          confidence: ref.thresholds.confidence,
          iou: ref.thresholds.iou,
          review: 0.25,
          defect: 0.5,
          maxDetections: ref.thresholds.maxDetections,
        },
        {
          sourceWidth: sample.widthPx,
          sourceHeight: sample.heightPx,
          inputWidth: size,
          inputHeight: size,
          scale: ref.letterbox.scale,
          resizedWidth: Math.round(sample.widthPx * ref.letterbox.scale),
          resizedHeight: Math.round(sample.heightPx * ref.letterbox.scale),
          padLeft: ref.letterbox.padLeftPx,
          padTop: ref.letterbox.padTopPx,
        },
      );
      expect(detections).toHaveLength(ref.detections.length);
      for (const [i, want] of ref.detections.entries()) {
        const got = detections[i];
        expect(got?.classId).toBe(want.classId);
        expect(got?.confidence).toBeCloseTo(want.score, 5);
        expect(got?.box.x).toBeCloseTo(want.x1, 2);
        expect(got?.box.y).toBeCloseTo(want.y1, 2);
        expect((got?.box.x ?? 0) + (got?.box.width ?? 0)).toBeCloseTo(want.x2, 2);
        expect((got?.box.y ?? 0) + (got?.box.height ?? 0)).toBeCloseTo(want.y2, 2);
      }
    });
  }
});
