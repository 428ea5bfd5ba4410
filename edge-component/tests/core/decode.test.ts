import { describe, expect, it } from 'vitest';
import { decodeDetections } from '../../src/core/decode.ts';
import { letterboxGeometry } from '../../src/core/letterbox.ts';
import type { DecodeContext, RawOutput } from '../../src/core/types.ts';

interface Anchor {
  cx: number;
  cy: number;
  w: number;
  h: number;
  scores: number[];
}

/** Builds a [1, 4 + nc, N] output from per-anchor values. */
function output(anchors: Anchor[], nc = anchors[0]?.scores.length ?? 1): RawOutput {
  const n = anchors.length;
  const data = new Float32Array((4 + nc) * n);
  anchors.forEach((a, i) => {
    data[i] = a.cx;
    data[n + i] = a.cy;
    data[2 * n + i] = a.w;
    data[3 * n + i] = a.h;
    a.scores.forEach((s, c) => {
      data[(4 + c) * n + i] = s;
    });
  });
  return { data, dims: [1, 4 + nc, n] };
}

const thresholds = { confidence: 0.25, iou: 0.7, review: 0.25, defect: 0.5, maxDetections: 300 };
const ctx = (over: Partial<DecodeContext> = {}): DecodeContext => ({
  geometry: letterboxGeometry(1024, 768, 640, 640),
  classes: ['scratch'],
  thresholds,
  ...over,
});

describe('decodeDetections', () => {
  it('undoes the letterbox: input pixels back to original pixels, normalised by the image size', () => {
    // 1024x768 -> scale 0.625, padTop 80: input box centre (320, 320) 64x32 -> original 512,384 102.4x51.2.
    const [d, ...rest] = decodeDetections(output([{ cx: 320, cy: 320, w: 64, h: 32, scores: [0.9] }]), ctx());
    expect(rest).toHaveLength(0);
    expect(d?.label).toBe('scratch');
    expect(d?.classId).toBe(0);
    expect(d?.confidence).toBeCloseTo(0.9, 6);
    expect(d?.box.x).toBeCloseTo(460.8, 4);
    expect(d?.box.y).toBeCloseTo(358.4, 4);
    expect(d?.box.width).toBeCloseTo(102.4, 4);
    expect(d?.box.height).toBeCloseTo(51.2, 4);
    expect(d?.boxNormalized.x).toBeCloseTo(460.8 / 1024, 6);
    expect(d?.boxNormalized.height).toBeCloseTo(51.2 / 768, 6);
  });

  it('undoes horizontal padding of a portrait image', () => {
    // 600x1200 -> scale 0.5333, padLeft 160: input x 160..480 is the whole width.
    const g = letterboxGeometry(600, 1200, 640, 640);
    const [d] = decodeDetections(output([{ cx: 320, cy: 320, w: 320, h: 640, scores: [0.8] }]), ctx({ geometry: g }));
    expect(d?.box.x).toBeCloseTo(0, 4);
    expect(d?.box.width).toBeCloseTo(600, 3);
    expect(d?.box.height).toBeCloseTo(1200, 3);
  });

  it('clamps boxes reaching into the padding or past the input to the image', () => {
    // A box spanning the padding above the image and past the right edge.
    const [d] = decodeDetections(output([{ cx: 600, cy: 70, w: 100, h: 60, scores: [0.9] }]), ctx());
    expect(d?.box.y).toBe(0);
    expect((d?.box.x ?? 0) + (d?.box.width ?? 0)).toBe(1024);
    expect(d?.box.height).toBeCloseTo((100 - 80) / 0.625, 4);
    expect(d!.boxNormalized.x + d!.boxNormalized.width).toBeLessThanOrEqual(1);
  });

  it('keeps a box entirely in the padding as an empty box on the image edge', () => {
    const [d] = decodeDetections(output([{ cx: 320, cy: 20, w: 40, h: 20, scores: [0.9] }]), ctx());
    expect(d?.box.y).toBe(0);
    expect(d?.box.height).toBe(0);
  });

  it('drops anchors with a NaN or infinite score or box, or a negative size', () => {
    const good = { cx: 100, cy: 200, w: 10, h: 10, scores: [0.9] };
    const raw = output([
      { ...good, scores: [Number.NaN] },
      { ...good, scores: [Number.POSITIVE_INFINITY] },
      { ...good, cx: Number.NaN },
      { ...good, cy: Number.POSITIVE_INFINITY },
      { ...good, w: Number.NEGATIVE_INFINITY },
      { ...good, h: Number.NaN },
      { ...good, w: -4 },
      { ...good, cx: 400 },
    ]);
    const ds = decodeDetections(raw, ctx());
    expect(ds).toHaveLength(1);
    expect(ds[0]?.box.x).toBeCloseTo((395 - 0) / 0.625, 4);
  });

  it('keeps a score above the confidence threshold and drops one equal to it or below', () => {
    const far = (i: number, s: number) => ({ cx: 20 + i * 100, cy: 320, w: 10, h: 10, scores: [s] });
    const raw = output([far(0, 0.3), far(1, 0.2), far(2, 0.25)]);
    const confidence = Math.fround(0.3); // the float32 value the output holds
    const ds = decodeDetections(raw, ctx({ thresholds: { ...thresholds, confidence: Math.fround(0.25) } }));
    expect(ds.map((d) => d.confidence)).toEqual([confidence]);
    expect(decodeDetections(raw, ctx({ thresholds: { ...thresholds, confidence: 0.1 } }))).toHaveLength(3);
  });

  it('takes the best class per anchor (argmax) with several classes, its label from the classes', () => {
    const raw = output([
      { cx: 100, cy: 200, w: 10, h: 10, scores: [0.1, 0.7, 0.3] },
      { cx: 300, cy: 200, w: 10, h: 10, scores: [0.6, 0.2, 0.65] },
      { cx: 500, cy: 200, w: 10, h: 10, scores: [0.2, 0.1, 0.05] },
    ]);
    const ds = decodeDetections(raw, ctx({ classes: ['scratch', 'dent', 'stain'] }));
    expect(ds.map((d) => [d.label, d.classId])).toEqual([
      ['dent', 1],
      ['stain', 2],
    ]);
  });

  it('applies NMS per class and maxDetections, best first', () => {
    const same = { cx: 300, cy: 300, w: 50, h: 50 };
    const raw = output([
      { ...same, scores: [0.6, 0.1] },
      { ...same, cx: 302, scores: [0.9, 0.1] }, // suppresses anchor 0 (same class)
      { ...same, cx: 304, scores: [0.1, 0.8] }, // other class: kept
      { cx: 100, cy: 400, w: 20, h: 20, scores: [0.4, 0.1] },
    ]);
    const c = ctx({ classes: ['a', 'b'] });
    const ds = decodeDetections(raw, c);
    expect(ds.map((d) => [d.classId, Number(d.confidence.toFixed(2))])).toEqual([
      [0, 0.9],
      [1, 0.8],
      [0, 0.4],
    ]);
    expect(decodeDetections(raw, { ...c, thresholds: { ...thresholds, maxDetections: 2 } })).toHaveLength(2);
  });

  it('names an unknown class by its number', () => {
    const [d] = decodeDetections(output([{ cx: 100, cy: 200, w: 10, h: 10, scores: [0.1, 0.9] }]), ctx());
    expect(d?.label).toBe('1');
  });

  it('refuses an output that is not [1, 4 + classes, anchors]', () => {
    const data = new Float32Array(10);
    expect(() => decodeDetections({ data, dims: [1, 4, 10] }, ctx())).toThrow(/expected \[1, 4 \+ classes, anchors\]/);
    expect(() => decodeDetections({ data, dims: [1, 5, 3] }, ctx())).toThrow(/MODEL_SHAPE_MISMATCH|dims/);
    expect(() => decodeDetections({ data, dims: [2, 5, 1] }, ctx())).toThrow();
  });
});
