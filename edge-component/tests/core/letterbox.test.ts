import { describe, expect, it } from 'vitest';
import { letterboxGeometry, roundHalfEven, toSourceX, toSourceY } from '../../src/core/letterbox.ts';

describe('letterboxGeometry (Ultralytics letterbox)', () => {
  it('fits a landscape image to the width and pads top and bottom equally', () => {
    const g = letterboxGeometry(1024, 768, 640, 640);
    expect(g).toEqual({
      sourceWidth: 1024,
      sourceHeight: 768,
      inputWidth: 640,
      inputHeight: 640,
      scale: 0.625,
      resizedWidth: 640,
      resizedHeight: 480,
      padLeft: 0,
      padTop: 80,
    });
  });

  it('fits a portrait image to the height and pads left and right', () => {
    const g = letterboxGeometry(600, 1200, 640, 640);
    expect(g.scale).toBeCloseTo(640 / 1200, 12);
    expect([g.resizedWidth, g.resizedHeight]).toEqual([320, 640]);
    expect([g.padLeft, g.padTop]).toEqual([160, 0]);
  });

  it('scales a square image up without padding', () => {
    const g = letterboxGeometry(320, 320, 640, 640);
    expect(g.scale).toBe(2);
    expect([g.resizedWidth, g.resizedHeight, g.padLeft, g.padTop]).toEqual([640, 640, 0, 0]);
  });

  it('keeps an exact fit as it is (scale 1, no padding)', () => {
    const g = letterboxGeometry(640, 480, 640, 480);
    expect([g.scale, g.resizedWidth, g.resizedHeight, g.padLeft, g.padTop]).toEqual([1, 640, 480, 0, 0]);
    expect(Object.is(g.padLeft, 0) && Object.is(g.padTop, 0)).toBe(true);
  });

  it('puts the extra pixel of an odd gap on the right/bottom (round(d - 0.1))', () => {
    // 1000x333 -> scale 0.64, 640x213.12 -> 213 rows; gap 427 -> top 213, bottom 214.
    const g = letterboxGeometry(1000, 333, 640, 640);
    expect(g.resizedHeight).toBe(213);
    expect(g.padTop).toBe(213);
    expect(g.inputHeight - g.resizedHeight - g.padTop).toBe(214);
  });

  it('rounds an exact half of the resized size to even, as Python round()', () => {
    // 1001x1280 -> scale 0.5, width 500.5 -> 500 (half to even), gap 140 -> left 70.
    const g = letterboxGeometry(1001, 1280, 640, 640);
    expect(g.resizedWidth).toBe(500);
    expect(g.padLeft).toBe(70);
    // 1003x1280 -> 501.5 -> 502.
    expect(letterboxGeometry(1003, 1280, 640, 640).resizedWidth).toBe(502);
  });

  it('handles a non-square model input and an odd-sized image', () => {
    const g = letterboxGeometry(333, 777, 416, 320);
    expect(g.scale).toBeCloseTo(320 / 777, 12);
    expect(g.resizedHeight).toBe(320);
    expect(g.resizedWidth).toBe(137);
    expect(g.padLeft).toBe(139);
    expect(g.padLeft + g.resizedWidth + 140).toBe(416);
  });

  it('never resizes to 0 pixels (a 1-pixel-high strip)', () => {
    const g = letterboxGeometry(20000, 1, 640, 640);
    expect(g.resizedHeight).toBe(1);
    expect(g.padTop).toBe(319);
  });

  it('maps input pixels back to source pixels', () => {
    const g = letterboxGeometry(1024, 768, 640, 640);
    expect(toSourceX(g, 320)).toBe(512);
    expect(toSourceY(g, 80)).toBe(0);
    expect(toSourceY(g, 560)).toBe(768);
  });

  it('rejects a size that is not a positive integer', () => {
    expect(() => letterboxGeometry(0, 10, 640, 640)).toThrow(/sourceWidth must be a positive integer, got 0/);
    expect(() => letterboxGeometry(10, 10.5, 640, 640)).toThrow(/sourceHeight/);
  });

  it('roundHalfEven matches Python round()', () => {
    expect([0.5, 1.5, 2.5, -0.5, 2.4, 2.6, -0.1].map(roundHalfEven)).toEqual([0, 2, 2, 0, 2, 3, 0]);
    expect(Object.is(roundHalfEven(-0.1), 0)).toBe(true);
  });
});
