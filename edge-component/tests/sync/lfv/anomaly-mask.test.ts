import { describe, expect, it } from 'vitest';
import { renderAnomalyMask } from '../../../src/sync/lfv/anomaly-mask.ts';
import { DETECTIONS } from './fakes.ts';

const W = 128;
const H = 96;
const pixelAt = (mask: Uint8Array, x: number, y: number) => [...mask.subarray((y * W + x) * 3, (y * W + x) * 3 + 3)];
const count = (mask: Uint8Array, rgb: number[]) => {
  let n = 0;
  for (let i = 0; i < mask.length; i += 3)
    if (mask[i] === rgb[0] && mask[i + 1] === rgb[1] && mask[i + 2] === rgb[2]) n++;
  return n;
};
const SCRATCH = [0x7e, 0xd3, 0x21];
const DENT = [0xd0, 0x02, 0x1b];

describe('the anomaly mask', () => {
  it('is RGB888 at the image resolution: boxes filled with their class colour over black', () => {
    const mask = renderAnomalyMask(DETECTIONS.defect, W, H);
    expect(mask.length).toBe(W * H * 3);
    expect(pixelAt(mask, 0, 0)).toEqual(SCRATCH);
    expect(pixelAt(mask, 59, 29)).toEqual(SCRATCH);
    expect(pixelAt(mask, 60, 29)).toEqual([0, 0, 0]);
    expect(pixelAt(mask, 105, 55)).toEqual(DENT);
    expect(count(mask, SCRATCH)).toBe(1400);
    expect(count(mask, DENT)).toBe(100);
    expect(count(mask, [0, 0, 0])).toBe(W * H - 1500);
  });

  it('is all black without detections', () => {
    expect(renderAnomalyMask([], W, H).every((b) => b === 0)).toBe(true);
  });

  it('puts the more confident detection on top where classes overlap', () => {
    const [scratch] = DETECTIONS.defect;
    const dent = { ...DETECTIONS.unclear[0]!, confidence: 0.9, box: { x: 30, y: 10, width: 20, height: 20 } };
    const mask = renderAnomalyMask([dent, scratch!], W, H);
    expect(pixelAt(mask, 35, 15)).toEqual(DENT);
    const weakDent = { ...dent, confidence: 0.5 };
    expect(pixelAt(renderAnomalyMask([weakDent, scratch!], W, H), 35, 15)).toEqual(SCRATCH);
  });

  it('clips boxes that reach past the image', () => {
    const edge = { ...DETECTIONS.unclear[0]!, box: { x: 120, y: 90, width: 50, height: 50 } };
    const mask = renderAnomalyMask([edge], W, H);
    expect(count(mask, DENT)).toBe(8 * 6);
    expect(pixelAt(mask, W - 1, H - 1)).toEqual(DENT);
  });
});
