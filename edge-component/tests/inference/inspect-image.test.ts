import { describe, expect, it } from 'vitest';
import { createSharpImagePreparer } from '../../src/adapters/sharp-image-preparer.ts';
import { InspectionSchema } from '../../src/contracts/inspection.ts';
import { admitBytes } from '../../src/core/admit.ts';
import { letterboxGeometry } from '../../src/core/letterbox.ts';
import { messageIdOf } from '../../src/core/message-id.ts';
import type { Manifest, RawOutput } from '../../src/core/types.ts';
import { effectiveThresholds, inspectImage } from '../../src/inference/inspect-image.ts';
import type { Detector, PreparedImage } from '../../src/ports.ts';
import { yoloInput } from '../support/yolo-input.ts';

const IMAGE_SHA = 'a'.repeat(64);
const MODEL_SHA = 'b'.repeat(64);
const thresholds = { confidence: 0.25, iou: 0.7, review: 0.3, defect: 0.6, maxDetections: 300 };
const manifest = { classes: ['scratch'], thresholds } as unknown as Manifest;

/** A detector whose output has one anchor per score, boxes far apart, in a 640 input. */
function fakeDetector(scores: number[]): Detector & { runs: number } {
  const n = scores.length;
  const data = new Float32Array(5 * n);
  scores.forEach((s, i) => {
    data.set([40 + i * 60], i);
    data[n + i] = 320;
    data[2 * n + i] = 20;
    data[3 * n + i] = 10;
    data[4 * n + i] = s;
  });
  const d = {
    manifest,
    model: { name: 'tag-scratch', version: '1.2.3', sha256: MODEL_SHA, precision: 'int8' as const },
    runs: 0,
    async run(): Promise<RawOutput> {
      d.runs += 1;
      return { data, dims: [1, 5, n] };
    },
    async close() {},
  };
  return d;
}

const prepared: PreparedImage = {
  image: {
    path: '/cam/part 7.jpg',
    file: 'part 7.jpg',
    bytes: new Uint8Array(1),
    sha256: IMAGE_SHA,
    format: 'jpeg',
    sizeBytes: 1,
    mtimeMs: Date.UTC(2026, 10, 23, 8, 0, 0),
  },
  width: 1024,
  height: 768,
  tensor: new Float32Array(3 * 640 * 640),
  geometry: letterboxGeometry(1024, 768, 640, 640),
  timingsMs: { decode: 4, preprocess: 3 },
};
const now = () => new Date(Date.UTC(2026, 10, 23, 8, 0, 1));

describe('inspectImage', () => {
  it('builds a valid edgeqc.inspection.v1 message: ids, image, model, times, boxes in original pixels', async () => {
    const detector = fakeDetector([0.9, 0.1]);
    const m = await inspectImage(prepared, detector, { thingName: 'line-1', now });
    expect(InspectionSchema.parse(m)).toEqual(m);
    expect(m).toMatchObject({
      schema: 'edgeqc.inspection.v1',
      messageId: messageIdOf(IMAGE_SHA, MODEL_SHA),
      thingName: 'line-1',
      image: { file: 'part 7.jpg', sha256: IMAGE_SHA, width: 1024, height: 768 },
      capturedAt: '2026-11-23T08:00:00.000Z',
      inspectedAt: '2026-11-23T08:00:01.000Z',
      model: detector.model,
      verdict: 'defect',
      thresholds: { confidence: 0.25, iou: 0.7, review: 0.3, defect: 0.6 },
    });
    expect(m.detections).toHaveLength(1);
    expect(m.detections[0]?.box.x).toBeCloseTo((40 - 10) / 0.625, 4);
    expect(m.detections[0]?.box.y).toBeCloseTo((315 - 80) / 0.625, 4);
    const t = m.timingsMs;
    expect(t.decode).toBe(4);
    expect(t.preprocess).toBe(3);
    expect(t.total).toBeCloseTo(t.decode + t.preprocess + t.inference + t.postprocess, 9);
    expect(detector.runs).toBe(1);
  });

  it('gives the verdict from the best score: unclear between review and defect, ok below review', async () => {
    const verdict = async (s: number[]) => (await inspectImage(prepared, fakeDetector(s), { thingName: 't' })).verdict;
    expect(await verdict([0.45, 0.28])).toBe('unclear');
    expect(await verdict([0.28])).toBe('ok');
    expect(await verdict([0.01])).toBe('ok'); // below the confidence threshold: no detection
  });

  it('applies configured thresholds over the manifest, ignoring undefined ones', async () => {
    const m = await inspectImage(prepared, fakeDetector([0.45]), {
      thingName: 't',
      thresholds: { defect: 0.4, review: undefined },
    });
    expect(m.verdict).toBe('defect');
    expect(m.thresholds).toEqual({ confidence: 0.25, iou: 0.7, review: 0.3, defect: 0.4 });
    expect(effectiveThresholds(thresholds, { confidence: undefined }).confidence).toBe(0.25);
  });

  it('gives the same messageId for the same image and model, another for another model', async () => {
    const a = await inspectImage(prepared, fakeDetector([0.9]), { thingName: 't' });
    const b = await inspectImage(prepared, fakeDetector([0.1]), { thingName: 't' });
    expect(b.messageId).toBe(a.messageId);
    const other = fakeDetector([0.9]);
    const c = await inspectImage(
      prepared,
      { ...other, model: { ...other.model, sha256: 'c'.repeat(64) } },
      {
        thingName: 't',
      },
    );
    expect(c.messageId).not.toBe(a.messageId);
  });

  it('prepares and inspects a real image end to end with the sharp preparer', async () => {
    const sharp = (await import('sharp')).default;
    const jpg = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#808080' } })
      .jpeg()
      .toBuffer();
    const image = admitBytes('/cam/grey.jpg', jpg, 0, 1e6);
    const p = await createSharpImagePreparer({ maxFileBytes: 1e6, maxPixels: 1e6 }).prepare(image, yoloInput(640));
    const m = await inspectImage(p, fakeDetector([0.1]), { thingName: 't' });
    expect(m.image).toEqual({ file: 'grey.jpg', sha256: image.sha256, width: 300, height: 200 });
  });
});
