/**
 * Prepare cost of the sharp preparer (a script, not a test), against the stand-in's pipeline it
 * replaced (metadata pass, then sharp resize with the default lanczos3 kernel, extend, per-channel
 * lookup tables), interleaved in one process so both see the same machine load: median ms per image
 * over the demo model's sample images; then RSS while preparing --images images two at a time (the
 * agent's default inFlight).
 * Run: npx node edge-component/tests/inference/bench-prepare.ts [--runs 40] [--images 2000] [files...]
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { createSharpImagePreparer } from '../../src/adapters/sharp-image-preparer.ts';
import { admitBytes } from '../../src/core/admit.ts';
import { letterboxGeometry } from '../../src/core/letterbox.ts';
import type { ManifestInputSpec } from '../../src/core/types.ts';
import type { AdmittedImage } from '../../src/ports.ts';
import { yoloInput } from '../support/yolo-input.ts';
import { SAMPLES_DIR } from './real-model.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { runs: { type: 'string', default: '40' }, images: { type: 'string', default: '2000' } },
});
const input: ManifestInputSpec = yoloInput(640);

/** The stand-in's prepare (before this preparer), kept here only for the comparison. */
async function standInPrepare(image: AdmittedImage): Promise<Float32Array> {
  const opts = { failOn: 'truncated' as const, limitInputPixels: 1e9 };
  const meta = await sharp(image.bytes, opts).metadata();
  const rotated = (meta.orientation ?? 1) >= 5;
  const g = letterboxGeometry(rotated ? meta.height : meta.width, rotated ? meta.width : meta.height, 640, 640);
  const raw = await sharp(image.bytes, opts)
    .rotate()
    .resize(g.resizedWidth, g.resizedHeight, { fit: 'fill' })
    .extend({
      left: g.padLeft,
      top: g.padTop,
      right: 640 - g.resizedWidth - g.padLeft,
      bottom: 640 - g.resizedHeight - g.padTop,
      background: { r: 114, g: 114, b: 114 },
    })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer();
  const plane = 640 * 640;
  const tensor = new Float32Array(3 * plane);
  const lut = Float32Array.from({ length: 256 }, (_, v) => v / 255);
  for (let i = 0, j = 0; i < plane; i += 1, j += 3) {
    tensor[i] = lut[raw[j] as number] as number;
    tensor[plane + i] = lut[raw[j + 1] as number] as number;
    tensor[2 * plane + i] = lut[raw[j + 2] as number] as number;
  }
  return tensor;
}

const files =
  positionals.length > 0
    ? positionals
    : (await readdir(SAMPLES_DIR)).filter((f) => /\.(jpe?g|png)$/i.test(f)).map((f) => join(SAMPLES_DIR, f));
const images = await Promise.all(files.map(async (f) => admitBytes(f, await readFile(f), 0, Number.MAX_SAFE_INTEGER)));
const preparer = createSharpImagePreparer({ maxFileBytes: Number.MAX_SAFE_INTEGER, maxPixels: 1e9 });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const runs = Number(values.runs);
const seen = new Set<string>();
for (const image of images) {
  const p = await preparer.prepare(image, input);
  const key = `${p.width}x${p.height} ${image.format}`;
  if (seen.has(key) && positionals.length === 0) continue; // one sample per size and format
  seen.add(key);
  const before: number[] = [];
  const after: number[] = [];
  const decode: number[] = [];
  for (let i = 0; i < runs + 3; i += 1) {
    let t = performance.now();
    await standInPrepare(image);
    if (i >= 3) before.push(performance.now() - t);
    t = performance.now();
    const q = await preparer.prepare(image, input);
    if (i >= 3) {
      after.push(performance.now() - t);
      decode.push(q.timingsMs.decode);
    }
  }
  console.log(
    `${image.file} (${key}): stand-in ${median(before).toFixed(1)} ms, sharp preparer ${median(after).toFixed(1)} ms (decode ${median(decode).toFixed(1)}, letterbox ${(median(after) - median(decode)).toFixed(1)})`,
  );
}

const total = Number(values.images);
const mib = () => Math.round(process.memoryUsage.rss() / 2 ** 20);
const marks = [`start ${mib()}`];
for (let i = 0; i < total; i += 2) {
  await Promise.all([i, i + 1].map((k) => preparer.prepare(images[k % images.length] as AdmittedImage, input)));
  if ((i + 2) % 1000 === 0) marks.push(`${i + 2}: ${mib()}`);
}
console.log(`RSS MiB while preparing ${total} images, 2 at a time: ${marks.join(', ')}`);
