/** The tensor from letterboxed 8-bit pixels: planes in the manifest's colour order, normalised, in place. */
import { describe, expect, it } from 'vitest';
import { planarTensor } from '../../src/core/planar-tensor.ts';
import { yoloInput } from '../support/yolo-input.ts';

/** 2 x 1 pixels: (10, 20, 30) and (40, 50, 60). */
const pixels = Uint8Array.from([10, 20, 30, 40, 50, 60]);

describe('planarTensor', () => {
  it('puts R, G, B in planes 0, 1, 2, each level divided by 255 (the YOLO input)', () => {
    const t = planarTensor(pixels, 2, 1, yoloInput(2, 1));
    expect(Array.from(t, (v) => Math.round(v * 255))).toEqual([10, 40, 20, 50, 30, 60]);
  });

  it('follows a BGR colour order with per-plane mean and std', () => {
    const input = yoloInput(2, 1, { colorOrder: 'BGR', normalization: { mean: [0, 10, 20], std: [1, 2, 4] } });
    expect(Array.from(planarTensor(pixels, 2, 1, input))).toEqual([30, 60, 5, 20, -2.5, 5]);
  });

  it('fills the tensor it is given, every value', () => {
    const into = new Float32Array(6).fill(Number.NaN);
    expect(planarTensor(pixels, 2, 1, yoloInput(2, 1), into)).toBe(into);
    expect(into.every(Number.isFinite)).toBe(true);
  });

  it('refuses pixels or a tensor of the wrong size, naming both sizes', () => {
    expect(() => planarTensor(pixels, 3, 1, yoloInput(3, 1))).toThrow(/6 bytes, expected 3x1x3 = 9/);
    expect(() => planarTensor(pixels, 2, 1, yoloInput(2, 1), new Float32Array(5))).toThrow(/5 values, expected/);
  });
});
