import { describe, expect, it } from 'vitest';
import { pixelRect, unionPixelCount } from '../../../src/sync/lfv/pixel-rects.ts';

describe('boxes on the pixel grid', () => {
  it('rounds fractional edges to the nearest pixel boundary', () => {
    expect(pixelRect({ x: 0.4, y: 1.6, width: 9.2, height: 3 }, 100, 100)).toEqual({ x0: 0, y0: 2, x1: 10, y1: 5 });
  });

  it('clips boxes to the image', () => {
    expect(pixelRect({ x: 90, y: -5, width: 30, height: 10 }, 100, 80)).toEqual({ x0: 90, y0: 0, x1: 100, y1: 5 });
  });

  it('counts overlapping pixels once', () => {
    const a = { x0: 0, y0: 0, x1: 40, y1: 20 };
    const b = { x0: 20, y0: 10, x1: 60, y1: 30 };
    expect(unionPixelCount([a, b])).toBe(1400);
    expect(unionPixelCount([a, a, a])).toBe(800);
  });

  it('adds disjoint boxes, ignores empty ones, and counts a box inside another not at all', () => {
    const outer = { x0: 0, y0: 0, x1: 10, y1: 10 };
    expect(unionPixelCount([outer, { x0: 20, y0: 20, x1: 25, y1: 22 }])).toBe(110);
    expect(unionPixelCount([outer, { x0: 2, y0: 2, x1: 5, y1: 5 }])).toBe(100);
    expect(unionPixelCount([{ x0: 5, y0: 5, x1: 5, y1: 9 }])).toBe(0);
    expect(unionPixelCount([])).toBe(0);
  });

  it('agrees with counting pixels one by one on a crowd of random boxes', () => {
    let seed = 7;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const rects = Array.from({ length: 60 }, () => {
      const x0 = next(90);
      const y0 = next(70);
      return { x0, y0, x1: x0 + next(30), y1: y0 + next(30) };
    });
    let counted = 0;
    for (let y = 0; y < 100; y++) {
      for (let x = 0; x < 120; x++) {
        if (rects.some((r) => x >= r.x0 && x < r.x1 && y >= r.y0 && y < r.y1)) counted++;
      }
    }
    expect(unionPixelCount(rects)).toBe(counted);
  });
});
