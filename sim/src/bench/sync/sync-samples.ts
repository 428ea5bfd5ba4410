/**
 * The benchmark's images, loaded once: each sample file's bytes (what an HTTP client posts) and its
 * pixels as packed RGB888 (what a Lookout for Vision client sends as a bitmap), decoded with sharp,
 * EXIF orientation applied as the agent applies it.
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { DEMO_SAMPLES_DIR } from '@edgeqc/edge-component/demo-bundle';
import sharp from 'sharp';

export interface SyncSample {
  readonly file: string;
  readonly path: string;
  readonly bytes: Buffer;
  readonly contentType: 'image/jpeg' | 'image/png';
  readonly width: number;
  readonly height: number;
  /** width x height x 3 bytes, row by row, R G B. */
  readonly rgb: Buffer;
}

export async function loadSyncSamples(paths: readonly string[]): Promise<SyncSample[]> {
  const out: SyncSample[] = [];
  for (const path of paths) {
    const bytes = await readFile(path);
    const { data, info } = await sharp(bytes)
      .rotate()
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`${path}: decoded to ${info.channels} channels, expected 3 (RGB)`);
    out.push({
      file: basename(path),
      path,
      bytes,
      contentType: /\.png$/i.test(path) ? 'image/png' : 'image/jpeg',
      width: info.width,
      height: info.height,
      rgb: data,
    });
  }
  return out;
}

/** The demo model's sample images (JPEG and PNG), by name: every process of the benchmark sees the same order. */
export async function demoSamplePaths(): Promise<string[]> {
  return (await readdir(DEMO_SAMPLES_DIR))
    .filter((f) => /\.(jpe?g|png)$/i.test(f))
    .sort()
    .map((f) => join(DEMO_SAMPLES_DIR, f));
}
