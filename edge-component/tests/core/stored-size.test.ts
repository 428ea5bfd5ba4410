/**
 * storedImageSize reads the frame header's size as libvips does, and gives up (undefined) rather than
 * guess: every sample and generated format agrees with sharp's metadata; odd headers fall back.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { storedImageSize } from '../../src/core/stored-size.ts';
import { SAMPLES_DIR } from '../inference/real-model.ts';

const gradient = (width: number, height: number, channels: 1 | 3 | 4 = 3) =>
  sharp(Buffer.alloc(width * height * channels, 90), { raw: { width, height, channels } });

/** A JPEG's bytes with a segment (marker + length + payload) inserted after SOI. */
function withSegmentAfterSoi(jpeg: Uint8Array, marker: number, payload: Uint8Array): Uint8Array {
  const length = payload.length + 2;
  const segment = new Uint8Array([0xff, marker, length >> 8, length & 0xff, ...payload]);
  return new Uint8Array([...jpeg.subarray(0, 2), ...segment, ...jpeg.subarray(2)]);
}

/** The offset of the first SOFn marker's FF byte. */
function sofOffset(jpeg: Uint8Array): number {
  for (let i = 2; i + 1 < jpeg.length; i += 1) {
    const m = jpeg[i + 1] as number;
    if (jpeg[i] === 0xff && m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) return i;
  }
  throw new Error('no SOF');
}

describe('storedImageSize', () => {
  it("agrees with sharp's header on every demo sample", async () => {
    const files = (await readdir(SAMPLES_DIR)).filter((f) => /\.(jpe?g|png)$/i.test(f));
    expect(files.length).toBeGreaterThan(20);
    for (const f of files) {
      const bytes = await readFile(join(SAMPLES_DIR, f));
      const meta = await sharp(bytes).metadata();
      expect(storedImageSize(bytes), f).toEqual({ width: meta.width, height: meta.height });
    }
  });

  it.each([
    ['baseline JPEG', () => gradient(123, 45).jpeg()],
    ['progressive JPEG (SOF2)', () => gradient(64, 300).jpeg({ progressive: true })],
    ['grey JPEG', () => gradient(31, 17, 1).jpeg()],
    ['CMYK JPEG', () => gradient(40, 30).toColourspace('cmyk').jpeg()],
    ['EXIF-rotated JPEG (the stored size)', () => gradient(40, 20).jpeg().withMetadata({ orientation: 6 })],
    ['RGB PNG', () => gradient(77, 5).png()],
    ['RGBA PNG', () => gradient(9, 1000, 4).png()],
    ['16-bit PNG', () => gradient(20, 10).toColourspace('rgb16').png()],
  ])('reads the size of a %s', async (_name, make) => {
    const bytes = await make().toBuffer();
    const meta = await sharp(bytes).metadata();
    expect(storedImageSize(bytes)).toEqual({ width: meta.width, height: meta.height });
  });

  it('skips segments before the frame header, whatever they hold (an APP1 with FF D9 and a false SOF inside)', async () => {
    const jpeg = await gradient(50, 60).jpeg().toBuffer();
    const payload = new Uint8Array([0x45, 0x78, 0x69, 0x66, 0, 0, 0xff, 0xd9, 0xff, 0xc0, 0, 11, 8, 0, 1, 0, 1]);
    expect(storedImageSize(withSegmentAfterSoi(jpeg, 0xe1, payload))).toEqual({ width: 50, height: 60 });
  });

  it('gives up on a height left for a DNL marker, a cut header, a scan before the frame, and other formats', async () => {
    const jpeg = new Uint8Array(await gradient(50, 60).jpeg().toBuffer());
    const sof = sofOffset(jpeg);
    const dnl = jpeg.slice();
    dnl[sof + 5] = 0;
    dnl[sof + 6] = 0;
    expect(storedImageSize(dnl)).toBeUndefined();
    expect(storedImageSize(jpeg.subarray(0, sof + 6))).toBeUndefined();
    expect(storedImageSize(new Uint8Array([0xff, 0xd8, 0xff, 0xda, 0x00, 0x02, 0x00]))).toBeUndefined();
    expect(storedImageSize(new Uint8Array([0xff, 0xd8, 0xff, 0xd9]))).toBeUndefined();
    const png = new Uint8Array(await gradient(8, 8).png().toBuffer());
    const notIhdr = png.slice();
    notIhdr[12] = 0x61; // 'aHDR'
    expect(storedImageSize(notIhdr)).toBeUndefined();
    expect(storedImageSize(png.subarray(0, 20))).toBeUndefined();
    expect(storedImageSize(await gradient(8, 8).webp().toBuffer())).toBeUndefined();
    expect(storedImageSize(new Uint8Array(0))).toBeUndefined();
  });
});
