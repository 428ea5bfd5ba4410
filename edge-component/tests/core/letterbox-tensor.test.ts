import { describe, expect, it } from 'vitest';
import { letterboxGeometry } from '../../src/core/letterbox.ts';
import { letterboxTensor, type PixelBuffer } from '../../src/core/letterbox-tensor.ts';
import type { ManifestInputSpec } from '../../src/core/types.ts';
import { cv2Cases } from '../support/cv2-letterbox-fixture.ts';
import { yoloInput } from '../support/yolo-input.ts';

const spec = (w: number, h: number, over: Partial<ManifestInputSpec> = {}) => yoloInput(w, h, over);

/** An RGB image whose pixel (x, y) is [r(x,y), g(x,y), b(x,y)]. */
function image(width: number, height: number, f: (x: number, y: number) => [number, number, number], channels = 3) {
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const v = f(x, y);
      data.set(channels === 4 ? [...v, 7] : v, (y * width + x) * channels);
    }
  }
  return { data, width, height, channels } satisfies PixelBuffer;
}

/** Tensor value of plane p at (x, y) of the input, scaled back to grey levels. */
const at = (t: Float32Array, w: number, h: number, p: number, x: number, y: number) =>
  (t[p * w * h + y * w + x] as number) * 255;

describe('letterboxTensor (cv2 INTER_LINEAR letterbox, NCHW float32)', () => {
  it('copies an exactly fitting image, normalised, channel planes in RGB order', () => {
    const px = image(4, 2, (x, y) => [x * 10, y * 100, 200]);
    const t = letterboxTensor(px, letterboxGeometry(4, 2, 4, 2), spec(4, 2));
    expect(t).toHaveLength(3 * 8);
    expect(at(t, 4, 2, 0, 3, 1)).toBeCloseTo(30, 4);
    expect(at(t, 4, 2, 1, 3, 1)).toBeCloseTo(100, 4);
    expect(at(t, 4, 2, 2, 0, 0)).toBeCloseTo(200, 4);
  });

  it('halves an image by averaging pixel pairs (half-pixel centres, as cv2 at exactly 2x)', () => {
    const px = image(8, 8, (x) => [x * 10, 0, 0]);
    const t = letterboxTensor(px, letterboxGeometry(8, 8, 4, 4), spec(4, 4));
    expect([0, 1, 2, 3].map((x) => at(t, 4, 4, 0, x, 2))).toEqual(
      [5, 25, 45, 65].map((v) => expect.closeTo(v, 4) as unknown as number),
    );
  });

  it('samples every third pixel at exactly 3x (no antialiasing, as cv2)', () => {
    const px = image(9, 3, (x) => [x * 10, 0, 0]);
    const t = letterboxTensor(px, letterboxGeometry(9, 3, 3, 1), spec(3, 1));
    expect([0, 1, 2].map((x) => Math.round(at(t, 3, 1, 0, x, 0)))).toEqual([10, 40, 70]);
  });

  it('repeats edge pixels when enlarging', () => {
    const px = image(2, 1, (x) => [x === 0 ? 0 : 100, 0, 0]);
    const t = letterboxTensor(px, letterboxGeometry(2, 1, 4, 2), spec(4, 2));
    // 2 -> 4 columns: source x = (d + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25 -> 0, 25, 75, 100.
    expect([0, 1, 2, 3].map((x) => at(t, 4, 2, 0, x, 1))).toEqual(
      [0, 25, 75, 100].map((v) => expect.closeTo(v, 4) as unknown as number),
    );
  });

  it('pads with the grey pad value around the letterboxed image', () => {
    // 4x2 into 4x4: rows 1..2 are the image, rows 0 and 3 padding.
    const px = image(4, 2, () => [0, 0, 0]);
    const t = letterboxTensor(px, letterboxGeometry(4, 2, 4, 4), spec(4, 4));
    for (const p of [0, 1, 2]) {
      expect(at(t, 4, 4, p, 0, 0)).toBeCloseTo(114, 4);
      expect(at(t, 4, 4, p, 3, 3)).toBeCloseTo(114, 4);
      expect(at(t, 4, 4, p, 2, 1)).toBeCloseTo(0, 4);
      expect(at(t, 4, 4, p, 2, 2)).toBeCloseTo(0, 4);
    }
  });

  it('follows the manifest: BGR order and per-channel mean/std (also for the padding)', () => {
    const px = image(2, 1, () => [10, 20, 30]);
    const t = letterboxTensor(
      px,
      letterboxGeometry(2, 1, 2, 2),
      spec(2, 2, { colorOrder: 'BGR', normalization: { mean: [1, 2, 3], std: [2, 4, 8] } }),
    );
    // Plane 0 is blue: (30 - 1) / 2; plane 1 green: (20 - 2) / 4; plane 2 red: (10 - 3) / 8.
    expect(t[0]).toBeCloseTo(14.5, 5);
    expect(t[4]).toBeCloseTo(4.5, 5);
    expect(t[8]).toBeCloseTo(0.875, 5);
    // Row 1 is padding (114): (114 - mean) / std per plane.
    expect(t[2]).toBeCloseTo((114 - 1) / 2, 5);
    expect(t[10]).toBeCloseTo((114 - 3) / 8, 5);
  });

  it('reads interleaved pixels with more than 3 channels (the extra one ignored)', () => {
    const px = image(2, 2, (x, y) => [x * 50, y * 50, 9], 4);
    const t = letterboxTensor(px, letterboxGeometry(2, 2, 2, 2), spec(2, 2));
    expect(at(t, 2, 2, 0, 1, 1)).toBeCloseTo(50, 4);
    expect(at(t, 2, 2, 2, 1, 1)).toBeCloseTo(9, 4);
  });

  it('refuses pixels that are not the geometry source', () => {
    const px = image(4, 2, () => [0, 0, 0]);
    expect(() => letterboxTensor(px, letterboxGeometry(5, 2, 4, 4), spec(4, 4))).toThrow(/do not match/);
  });
});

describe('letterboxTensor equals the training letterbox (cv2) level for level', () => {
  it('has the fixture', () => {
    expect(cv2Cases.length).toBeGreaterThanOrEqual(10);
  });

  for (const c of cv2Cases) {
    it(`${c.width}x${c.height} into ${c.size}x${c.size}`, () => {
      const g = letterboxGeometry(c.width, c.height, c.size, c.size);
      expect([g.resizedWidth, g.resizedHeight, g.padLeft, g.padTop]).toEqual([...c.resized, ...c.pad]);
      const px = {
        data: new Uint8Array(Buffer.from(c.pixels, 'base64')),
        width: c.width,
        height: c.height,
        channels: 3,
      };
      const t = letterboxTensor(px, g, spec(c.size, c.size));
      const canvas = Buffer.from(c.canvas, 'base64');
      const plane = c.size * c.size;
      const mismatches: string[] = [];
      for (let i = 0; i < plane; i += 1) {
        for (let ch = 0; ch < 3; ch += 1) {
          const got = Math.round((t[ch * plane + i] as number) * 255);
          const want = canvas[i * 3 + ch] as number;
          if (got !== want) mismatches.push(`(${i % c.size},${Math.floor(i / c.size)})[${ch}] ${got} != ${want}`);
        }
      }
      expect(mismatches.slice(0, 5)).toEqual([]);
    });
  }
});
