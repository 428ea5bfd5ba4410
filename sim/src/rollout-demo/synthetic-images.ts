/**
 * Camera images for the one-machine demo when the demo model's sample images are not at hand: PNGs of
 * a grey metal tag on a darker background, some with a thin bright scratch, written with node:zlib only.
 * Deterministic from the index. (Verdicts on them are whatever the model says; the demo is about the
 * rollout, not about accuracy.)
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)) >>> 0, 8 + data.length);
  return out;
}

export function syntheticTagPng(index: number, width = 320, height = 240): Uint8Array {
  const rows = Buffer.alloc((width * 3 + 1) * height);
  const scratch = index % 2 === 1;
  const x0 = 60 + ((index * 7) % 40);
  const y0 = 50 + ((index * 11) % 30);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    rows[row] = 0;
    for (let x = 0; x < width; x++) {
      const onTag = x > x0 && x < x0 + 200 && y > y0 && y < y0 + 130;
      let v = onTag ? 150 + ((x + y * 3 + index) % 17) : 40 + ((x * 5 + y) % 9);
      if (scratch && onTag && Math.abs(y - (y0 + 20 + (x - x0) * 0.4)) < 1.2) v = 235;
      rows[row + 1 + x * 3] = v;
      rows[row + 2 + x * 3] = v;
      rows[row + 3 + x * 3] = v + 4;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Writes `count` synthetic images into `dir`; returns their paths. */
export async function writeSyntheticImages(dir: string, count: number): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const path = join(dir, `tag-${String(i + 1).padStart(2, '0')}.png`);
    await writeFile(path, syntheticTagPng(i));
    paths.push(path);
  }
  return paths;
}
