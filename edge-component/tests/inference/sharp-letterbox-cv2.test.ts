/**
 * The agent's letterbox against the one the demo model was trained with: cv2.resize INTER_LINEAR and
 * grey 114 padding, as recorded by OpenCV itself in tests/core/cv2-letterbox.fixture.json
 * (scripts/demo_model/letterbox_fixture.py). Each case goes through the agent's preparer as a PNG
 * (lossless, so the pixels are the fixture's) and must match level for level: below a reduction of
 * LIBVIPS_REDUCTION_MIN the preparer decodes the whole image and letterboxes it with the bit-exact port
 * (core/letterbox-tensor.ts). An image reduced more than that is letterboxed in libvips instead (JPEG
 * shrink-on-load, lanczos3): not cv2's pixels, checked by geometry in letterbox-formats.test.ts.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { createSharpImagePreparer } from '../../src/adapters/sharp-image-preparer.ts';
import { LIBVIPS_REDUCTION_MIN, letterboxedInLibvips } from '../../src/adapters/sharp-letterbox.ts';
import { admitBytes } from '../../src/core/admit.ts';
import { letterboxGeometry } from '../../src/core/letterbox.ts';
import { cv2Cases } from '../support/cv2-letterbox-fixture.ts';
import { yoloInput } from '../support/yolo-input.ts';

const cases = cv2Cases;

const preparer = createSharpImagePreparer({ maxFileBytes: 1_000_000, maxPixels: 1_000_000 });

describe('the agent letterbox equals cv2 INTER_LINEAR (the fixture OpenCV made) level for level', () => {
  it('has the fixture, with downscaled, upscaled and unscaled cases', () => {
    expect(cases.filter((c) => c.resized[0] < c.width).length).toBeGreaterThanOrEqual(6);
    expect(cases.some((c) => c.resized[0] > c.width)).toBe(true);
    expect(cases.some((c) => c.resized[0] === c.width)).toBe(true);
    const byJs = cases.filter((c) => !letterboxedInLibvips(letterboxGeometry(c.width, c.height, c.size, c.size)));
    expect(byJs.length).toBeGreaterThanOrEqual(10);
  });

  for (const c of cases) {
    it(`${c.width}x${c.height} into ${c.size}x${c.size}`, async () => {
      const raw = Buffer.from(c.pixels, 'base64');
      const png = await sharp(raw, { raw: { width: c.width, height: c.height, channels: 3 } })
        .png()
        .toBuffer();
      const p = await preparer.prepare(admitBytes('/cam/fixture.png', png, 0, 1_000_000), yoloInput(c.size));
      expect([p.geometry.resizedWidth, p.geometry.resizedHeight]).toEqual(c.resized);
      expect([p.geometry.padLeft, p.geometry.padTop]).toEqual(c.pad);
      const canvas = Buffer.from(c.canvas, 'base64');
      const plane = c.size * c.size;
      // An image letterboxed in libvips (this fixture holds one, 9x61 reduced 3 times) has cv2's
      // geometry and padding, not its resampled levels.
      const g = p.geometry;
      const inLibvips = letterboxedInLibvips(g);
      const resampled = (x: number, y: number) =>
        x >= g.padLeft && x < g.padLeft + g.resizedWidth && y >= g.padTop && y < g.padTop + g.resizedHeight;
      const mismatches: string[] = [];
      for (let i = 0; i < plane; i += 1) {
        if (inLibvips && resampled(i % c.size, Math.floor(i / c.size))) continue;
        for (let ch = 0; ch < 3; ch += 1) {
          const got = Math.round((p.tensor[ch * plane + i] as number) * 255);
          const want = canvas[i * 3 + ch] as number;
          if (got !== want) mismatches.push(`(${i % c.size},${Math.floor(i / c.size)})[${ch}] ${got} != ${want}`);
        }
      }
      expect(mismatches.slice(0, 5)).toEqual([]);
    });
  }
});

describe('letterboxedInLibvips: which images libvips letterboxes', () => {
  it(`only an image reduced at least ${LIBVIPS_REDUCTION_MIN} times (none of the demo sizes at 800)`, () => {
    const at800 = (w: number, h: number) => letterboxedInLibvips(letterboxGeometry(w, h, 800, 800));
    expect(at800(1920, 1080)).toBe(false); // reduced 2.4 times
    expect(at800(1600, 1200)).toBe(false); // 2
    expect(at800(2400, 1800)).toBe(true); // 3
    expect(at800(4000, 3000)).toBe(true);
    expect(at800(400, 300)).toBe(false); // upscaled
    expect(at800(3000, 200)).toBe(true); // the width decides: 3.75
  });
});
