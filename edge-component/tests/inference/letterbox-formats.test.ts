/**
 * The agent's letterbox in libvips (shrink-on-load, native resize) against the one the demo model was
 * trained with (full decode, then cv2's INTER_LINEAR, ported bit-exact in core/letterbox-tensor.ts),
 * per image format: the same sample with scratches as JPEG, PNG, grey, RGBA, CMYK, 16-bit, EXIF-rotated
 * and small (upscaled). Through the real INT8 model, every clear detection of the trained-with path is
 * found by the agent's path on the same scratch, its box in original image pixels within 2 px.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDetector } from '../../src/adapters/onnx-detector.ts';
import { createSharpImagePreparer } from '../../src/adapters/sharp-image-preparer.ts';
import { admitBytes } from '../../src/core/admit.ts';
import { decodeDetections } from '../../src/core/decode.ts';
import { letterboxGeometry } from '../../src/core/letterbox.ts';
import { letterboxTensor } from '../../src/core/letterbox-tensor.ts';
import type { Detection, LetterboxGeometry } from '../../src/core/types.ts';
import type { Detector } from '../../src/ports.ts';
import { demoBundle, SAMPLES_DIR } from './real-model.ts';

const CLEAR_SCORE = 0.3;
const MAX_EDGE_PX = 2;

const preparer = createSharpImagePreparer({ maxFileBytes: 50_000_000, maxPixels: 8192 * 8192 });
let detector: Detector;
let original: Buffer;
beforeAll(async () => {
  detector = await loadDetector(await demoBundle('int8'), { intraOpThreads: 1, interOpThreads: 1 });
  original = await readFile(join(SAMPLES_DIR, 'scratch-01.jpg'));
});
afterAll(async () => {
  await detector?.close();
});

/** The sample in each format: its bytes. */
const variants: Record<string, () => Promise<Buffer>> = {
  JPEG: async () => original,
  PNG: () => sharp(original).png().toBuffer(),
  grey: () => sharp(original).greyscale().png().toBuffer(),
  RGBA: () => sharp(original).ensureAlpha(1).png().toBuffer(),
  CMYK: () => sharp(original).toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer(),
  '16-bit': () => sharp(original).toColourspace('rgb16').png().toBuffer(),
  // Stored turned a quarter to the left, displayed upright (orientation 6: turn right to display).
  'EXIF-rotated': () => sharp(original).rotate(270).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer(),
  'small (upscaled)': () => sharp(original).resize({ width: 600 }).png().toBuffer(),
};

const detect = async (tensor: Float32Array, geometry: LetterboxGeometry): Promise<Detection[]> =>
  decodeDetections(await detector.run(tensor), {
    geometry,
    classes: detector.manifest.classes,
    thresholds: { ...detector.manifest.thresholds, confidence: 0.1 },
  });

/** The letterbox the model was trained with: the whole image decoded, then cv2's INTER_LINEAR. */
async function trainedWith(bytes: Buffer): Promise<Detection[]> {
  const { data, info } = await sharp(bytes, { autoOrient: true })
    .removeAlpha()
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  const [, , h, w] = detector.manifest.input.shape;
  const g = letterboxGeometry(info.width, info.height, w, h);
  return detect(
    letterboxTensor({ data, width: info.width, height: info.height, channels: 3 }, g, detector.manifest.input),
    g,
  );
}

describe('the agent letterbox vs the trained-with letterbox, per format', () => {
  for (const [format, make] of Object.entries(variants)) {
    it(`${format}: the same scratches, boxes within ${MAX_EDGE_PX} px in original image pixels`, async () => {
      const bytes = await make();
      const want = (await trainedWith(bytes)).filter((d) => d.confidence >= CLEAR_SCORE);
      expect(want.length, 'the sample has clear scratches').toBeGreaterThan(0);
      const prepared = await preparer.prepare(admitBytes(`/cam/x`, bytes, 0, 50_000_000), detector.manifest.input);
      const got = await detect(prepared.tensor, prepared.geometry);
      for (const w of want) {
        const edges = (d: Detection) => [d.box.x, d.box.y, d.box.x + d.box.width, d.box.y + d.box.height];
        const off = (d: Detection) => Math.max(...edges(d).map((v, i) => Math.abs(v - (edges(w)[i] as number))));
        const nearest = got.filter((d) => d.classId === w.classId).sort((a, b) => off(a) - off(b))[0];
        expect(nearest, `no detection near ${JSON.stringify(w.box)}`).toBeDefined();
        expect(
          off(nearest as Detection),
          `${JSON.stringify(nearest?.box)} vs ${JSON.stringify(w.box)}`,
        ).toBeLessThanOrEqual(MAX_EDGE_PX);
      }
    });
  }
});
