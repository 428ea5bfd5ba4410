/**
 * The sharp preparer on images made here with sharp (no model files): admission, decoding limits,
 * EXIF orientation, letterbox geometry and the tensor.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSharpImagePreparer } from '../../src/adapters/sharp-image-preparer.ts';
import { admitBytes } from '../../src/core/admit.ts';
import type { ManifestInputSpec } from '../../src/core/types.ts';
import { yoloInput } from '../support/yolo-input.ts';

const input: ManifestInputSpec = yoloInput(64);
const preparer = createSharpImagePreparer({ maxFileBytes: 1_000_000, maxPixels: 200 * 200 });

/** A width x height RGB image: red = x, green = y, blue = 50. */
function gradient(width: number, height: number) {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) data.set([x, y, 50], (y * width + x) * 3);
  }
  return sharp(data, { raw: { width, height, channels: 3 } });
}
const admit = (bytes: Uint8Array, name = 'x.jpg') => admitBytes(`/cam/${name}`, bytes, 0, 1_000_000);
async function rejection(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return { code: (err as { code: string }).code, message: (err as Error).message };
  }
  throw new Error('expected a rejection');
}

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgeqc-preparer-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('createSharpImagePreparer', () => {
  it('admits a file from disk: bytes, sha256, format; refuses one over maxFileBytes before reading it', async () => {
    const png = await gradient(10, 10).png().toBuffer();
    const path = join(dir, 'a.png');
    await writeFile(path, png);
    const image = await preparer.admit({ path, sizeBytes: png.length, mtimeMs: 5 });
    expect(image).toMatchObject({ file: 'a.png', format: 'png', sizeBytes: png.length, mtimeMs: 5 });
    const big = await rejection(preparer.admit({ path: join(dir, 'missing.jpg'), sizeBytes: 2_000_000, mtimeMs: 0 }));
    expect(big.code).toBe('IMAGE_TOO_LARGE');
  });

  it('copies an exactly fitting PNG into the tensor (pixel / 255)', async () => {
    const png = await gradient(64, 64).png().toBuffer();
    const p = await preparer.prepare(admit(png, 'a.png'), input);
    expect([p.width, p.height]).toEqual([64, 64]);
    expect(p.tensor).toHaveLength(3 * 64 * 64);
    expect(p.tensor[10 * 64 + 20]).toBeCloseTo(20 / 255, 6); // red = x
    expect(p.tensor[64 * 64 + 10 * 64 + 20]).toBeCloseTo(10 / 255, 6); // green = y
    expect(p.tensor[2 * 64 * 64 + 5]).toBeCloseTo(50 / 255, 6);
    expect(p.timingsMs.decode).toBeGreaterThanOrEqual(0);
    expect(p.timingsMs.preprocess).toBeGreaterThanOrEqual(0);
  });

  it('letterboxes a landscape JPEG: geometry, grey padding above and below', async () => {
    const jpg = await gradient(128, 64).jpeg({ quality: 95 }).toBuffer();
    const p = await preparer.prepare(admit(jpg), input);
    expect(p.geometry).toMatchObject({ scale: 0.5, resizedWidth: 64, resizedHeight: 32, padLeft: 0, padTop: 16 });
    expect(p.tensor[0]).toBeCloseTo(114 / 255, 6);
    expect(p.tensor[63 * 64 + 63]).toBeCloseTo(114 / 255, 6);
    // Inside: red of output column 20 is about the mean of source columns 40 and 41.
    expect((p.tensor[30 * 64 + 20] as number) * 255).toBeCloseTo(40.5, -0.5);
  });

  it('applies the EXIF orientation: a rotated (orientation 6) 40x20 JPEG is 20x40', async () => {
    const jpg = await gradient(40, 20).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const p = await preparer.prepare(admit(jpg), input);
    expect([p.width, p.height]).toEqual([20, 40]);
    expect(p.geometry).toMatchObject({ sourceWidth: 20, sourceHeight: 40, resizedWidth: 32, padLeft: 16 });
  });

  it('turns greyscale, alpha and 16-bit PNGs into 3 channels', async () => {
    const grey = await gradient(32, 32).greyscale().png().toBuffer();
    const rgba = await gradient(32, 32).ensureAlpha(0.5).png().toBuffer();
    const deep = await gradient(32, 32).toColourspace('rgb16').png().toBuffer();
    for (const png of [grey, rgba, deep]) {
      const p = await preparer.prepare(admit(png, 'g.png'), input);
      expect(p.tensor).toHaveLength(3 * 64 * 64);
      expect(p.tensor.every(Number.isFinite)).toBe(true);
    }
  });

  it('refuses an image with more pixels than allowed (IMAGE_TOO_MANY_PIXELS)', async () => {
    const png = await gradient(300, 200).png().toBuffer();
    const r = await rejection(preparer.prepare(admit(png, 'bomb.png'), input));
    expect(r.code).toBe('IMAGE_TOO_MANY_PIXELS');
    expect(r.message).toContain('/cam/bomb.png');
  });

  it('refuses a truncated JPEG (IMAGE_TRUNCATED) and garbage behind JPEG magic bytes (IMAGE_CORRUPT)', async () => {
    const jpg = await gradient(100, 100).jpeg().toBuffer();
    const cut = await rejection(preparer.prepare(admit(jpg.subarray(0, Math.floor(jpg.length * 0.6))), input));
    expect(cut.code).toBe('IMAGE_TRUNCATED');
    const junk = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(500, 0x42)]);
    const bad = await rejection(preparer.prepare(admit(junk, 'junk.jpg'), input));
    expect(bad.code).toBe('IMAGE_CORRUPT');
    expect(bad.message).toContain('/cam/junk.jpg cannot be decoded');
  });

  it('refuses bad limits when created', () => {
    expect(() => createSharpImagePreparer({ maxFileBytes: 0, maxPixels: 1 })).toThrow(/maxFileBytes/);
  });
});
