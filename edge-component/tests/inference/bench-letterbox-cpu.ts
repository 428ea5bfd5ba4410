/**
 * Prepare CPU per image of the letterbox variants (a script, not a test), side by side in one process:
 * every pass runs each variant once over the same images, in turns, so all see the same machine load.
 * CPU is the process's (user + system, process.cpuUsage) over a pass, divided by its images; the
 * agent's path in full (header, decode, letterbox, tensor filled into a pooled buffer given back).
 *   agent            the agent's preparer as it is (adapters/sharp-image-preparer.ts, sharp-letterbox.ts)
 *   cv2-js           the whole image decoded by sharp, cv2's INTER_LINEAR in JavaScript
 *                    (core/letterbox-tensor.ts)
 *   lanczos3         letterboxed in libvips: resize with the lanczos3 kernel (JPEG shrink-on-load where
 *                    sharp applies it), pad
 *   affine bilinear  letterboxed in libvips: affine with the bilinear interpolator, cv2's pixel centres
 *                    (idx/idy 0.5, odx/ody -0.5) and scale (resized over source size per axis), pad
 * Run (the recipe's malloc env or not, set outside: it cannot change inside a process):
 *   npx node edge-component/tests/inference/bench-letterbox-cpu.ts [--passes 6] [--size 800] [files...]
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp, { type Sharp } from 'sharp';
import { inputTensorPool } from '../../src/adapters/input-tensor-pool.ts';
import { createSharpImagePreparer } from '../../src/adapters/sharp-image-preparer.ts';
import { admitBytes } from '../../src/core/admit.ts';
import { letterboxGeometry } from '../../src/core/letterbox.ts';
import { letterboxTensor } from '../../src/core/letterbox-tensor.ts';
import { planarTensor } from '../../src/core/planar-tensor.ts';
import type { LetterboxGeometry, ManifestInputSpec } from '../../src/core/types.ts';
import type { AdmittedImage } from '../../src/ports.ts';
import { releaseMemory } from '../../src/release-memory.ts';
import { yoloInput } from '../support/yolo-input.ts';
import { SAMPLES_DIR } from './real-model.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { passes: { type: 'string', default: '6' }, size: { type: 'string', default: '800' } },
});
const size = Number(values.size);
const input: ManifestInputSpec = yoloInput(size);
const preparer = createSharpImagePreparer({ maxFileBytes: Number.MAX_SAFE_INTEGER, maxPixels: 1e9 });

/** The header, then the whole image decoded by sharp, cv2's INTER_LINEAR in JavaScript. */
async function cv2Js(image: AdmittedImage): Promise<Float32Array> {
  const { data, info } = await sharp(image.bytes, { autoOrient: true, failOn: 'truncated' })
    .removeAlpha()
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  const g = letterboxGeometry(info.width, info.height, size, size);
  const pixels = { data, width: info.width, height: info.height, channels: 3 };
  const tensor = letterboxTensor(pixels, g, input, inputTensorPool.take(3 * size * size));
  releaseMemory(data); // as the preparer does: freed now, not at V8's next collection
  return tensor;
}

/** Letterboxed in libvips: the header, then decode, `resample` to the resized size, pad; one fill pass. */
async function inLibvips(image: AdmittedImage, resample: (s: Sharp, g: LetterboxGeometry) => Sharp) {
  const meta = await sharp(image.bytes).metadata();
  const { width, height } = meta.autoOrient ?? meta;
  const g = letterboxGeometry(width, height, size, size);
  let pipeline = sharp(image.bytes, { autoOrient: true, failOn: 'truncated' });
  if (g.resizedWidth !== width || g.resizedHeight !== height) pipeline = resample(pipeline, g);
  const right = size - g.resizedWidth - g.padLeft;
  const bottom = size - g.resizedHeight - g.padTop;
  const grey = { r: 114, g: 114, b: 114, alpha: 1 };
  const pixels = await pipeline
    .extend({ top: g.padTop, bottom, left: g.padLeft, right, background: grey })
    .removeAlpha()
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer();
  const tensor = planarTensor(pixels, size, size, input, inputTensorPool.take(3 * size * size));
  releaseMemory(pixels);
  return tensor;
}

const variants: Record<string, (image: AdmittedImage) => Promise<Float32Array>> = {
  agent: async (image) => (await preparer.prepare(image, input)).tensor,
  'cv2-js': cv2Js,
  lanczos3: (image) =>
    inLibvips(image, (s, g) => s.resize(g.resizedWidth, g.resizedHeight, { fit: 'fill', kernel: 'lanczos3' })),
  'affine bilinear': (image) =>
    inLibvips(image, (s, g) =>
      s.affine([g.resizedWidth / g.sourceWidth, 0, 0, g.resizedHeight / g.sourceHeight], {
        idx: 0.5,
        idy: 0.5,
        odx: -0.5,
        ody: -0.5,
        interpolator: sharp.interpolators.bilinear,
      }),
    ),
};

const files =
  positionals.length > 0
    ? positionals
    : (await readdir(SAMPLES_DIR)).filter((f) => /\.(jpe?g|png)$/i.test(f)).map((f) => join(SAMPLES_DIR, f));
const images = await Promise.all(files.map(async (f) => admitBytes(f, await readFile(f), 0, Number.MAX_SAFE_INTEGER)));

const cpuMs: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
const passes = Number(values.passes);
const names = Object.keys(variants);
for (let pass = -1; pass < passes; pass += 1) {
  // A different variant first in each pass (pass -1 warms libvips and the pool up and is not counted).
  const order = names.map((_, i) => names[(i + Math.max(pass, 0)) % names.length] as string);
  for (const name of order) {
    const run = variants[name] as (image: AdmittedImage) => Promise<Float32Array>;
    const before = process.cpuUsage();
    for (const image of images) inputTensorPool.give(await run(image));
    const used = process.cpuUsage(before);
    if (pass >= 0) (cpuMs[name] as number[]).push((used.user + used.system) / 1000 / images.length);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const malloc = ['MALLOC_ARENA_MAX', 'MALLOC_MMAP_THRESHOLD_', 'MALLOC_TRIM_THRESHOLD_']
  .map((k) => `${k}=${process.env[k] ?? '-'}`)
  .join(' ');
console.log(`${images.length} images into ${size}x${size}, ${passes} passes, ${malloc}`);
for (const name of names) {
  const xs = cpuMs[name] as number[];
  const shown = xs.map((x) => x.toFixed(1)).join(' ');
  console.log(`${name.padEnd(16)} CPU ms per image: median ${median(xs).toFixed(1)}  (passes: ${shown})`);
}
