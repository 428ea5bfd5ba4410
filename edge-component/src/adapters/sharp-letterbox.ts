/**
 * The letterbox in libvips (sharp): an encoded image (JPEG, PNG) or packed RGB888 pixels become the
 * model input's pixels, inputWidth x inputHeight x 3 bytes of 8-bit sRGB, in one sharp pipeline:
 *   1. the header only (sharp's metadata): the displayed size after EXIF orientation, from which
 *      core/letterbox.ts computes the geometry (scale, resized size, padding) as Ultralytics does;
 *   2. decode with `autoOrient`, `failOn: 'truncated'` and `limitInputPixels`, resized to the
 *      geometry's resized size and padded (extend) with the manifest's pad value, to 8-bit sRGB
 *      without alpha.
 * A JPEG larger than twice the resized size is decoded at 1/2, 1/4 or 1/8 scale by libjpeg itself
 * (libvips' shrink-on-load, which sharp applies to a JPEG when the downscale is at least 2): the largest
 * shrink that leaves at least the resized size, so the residual resize never upscales. A PNG is decoded
 * whole. Only the input's pixels (1.9 MB at 800 x 800) leave libvips; the full-size image never does.
 * An image smaller than the input is not resized here: it comes out whole, for the caller's upscale
 * (cv2's INTER_LINEAR, core/letterbox-tensor.ts), since libvips' upscaling puts edges half an output
 * pixel further right and down than cv2's; such an image is small, so this costs little.
 *
 * The resize kernel is libvips' `lanczos3`, antialiased (its support widens with the downscale). The
 * demo model was trained with cv2's INTER_LINEAR, which is not antialiased; what that costs is judged
 * by the model's accuracy on its test split (`edgeqc bench --accuracy`, figures in docs/benchmarks.md),
 * not by pixels. Of the kernels tried there, `linear` (softer) lost recall at low scores; `lanczos3`
 * (sharper) kept the model's figures.
 */
import sharp, { type KernelEnum, type Sharp } from 'sharp';
import { letterboxGeometry } from '../core/letterbox.ts';
import type { LetterboxGeometry } from '../core/types.ts';
import { ImageRejectedError } from '../errors.ts';
import type { AdmittedImage } from '../ports.ts';

/** The resize kernel (see the file comment). */
export const LETTERBOX_KERNEL: keyof KernelEnum = 'lanczos3';

export interface LetterboxTarget {
  readonly inputWidth: number;
  readonly inputHeight: number;
  /** Grey level of the padding (the manifest's input.resize.padValue). */
  readonly padValue: number;
}

/**
 * `input`: the input's pixels, letterboxed (inputWidth x inputHeight x 3 bytes, row by row, R G B).
 * `source`: an image smaller than the input, decoded whole (width x height x 3 bytes) for the caller to
 * upscale (core/letterbox-tensor.ts: libvips' upscaling is shifted by half an output pixel from cv2's).
 */
export type LetterboxedPixels =
  | { readonly kind: 'input'; readonly pixels: Buffer; readonly geometry: LetterboxGeometry }
  | { readonly kind: 'source'; readonly pixels: Buffer; readonly geometry: LetterboxGeometry };

/** The displayed size of an encoded image (EXIF orientation applied), from its header. */
async function displayedSize(image: AdmittedImage, maxPixels: number): Promise<{ width: number; height: number }> {
  const meta = await sharp(image.bytes, { limitInputPixels: maxPixels }).metadata();
  const { width, height } = meta.autoOrient ?? meta;
  if (!width || !height) {
    throw new ImageRejectedError('IMAGE_CORRUPT', `${image.path}: the header gives no width and height`);
  }
  if (meta.width * meta.height > maxPixels) {
    throw new ImageRejectedError(
      'IMAGE_TOO_MANY_PIXELS',
      `${image.path} has ${meta.width}x${meta.height} pixels, more than ${maxPixels}`,
    );
  }
  return { width, height };
}

/** The source of the pipeline: encoded bytes (checked, oriented) or a client's raw RGB888 pixels. */
function source(image: AdmittedImage, maxPixels: number, raw?: { width: number; height: number }): Sharp {
  const bytes = Buffer.from(image.bytes.buffer, image.bytes.byteOffset, image.bytes.byteLength);
  return raw
    ? sharp(bytes, { raw: { width: raw.width, height: raw.height, channels: 3 }, limitInputPixels: maxPixels })
    : sharp(bytes, { failOn: 'truncated', limitInputPixels: maxPixels, autoOrient: true });
}

/**
 * Letterboxes `image` into the target. `raw`: the size of format-rgb pixels (already checked by the
 * caller); absent for an encoded image, whose size comes from its header.
 */
export async function sharpLetterbox(
  image: AdmittedImage,
  target: LetterboxTarget,
  maxPixels: number,
  raw?: { width: number; height: number },
): Promise<LetterboxedPixels> {
  const size = raw ?? (await displayedSize(image, maxPixels));
  const g = letterboxGeometry(size.width, size.height, target.inputWidth, target.inputHeight);
  const pipeline = source(image, maxPixels, raw);
  if (g.scale > 1) {
    const pixels = await toRgb(pipeline, image, g.sourceWidth, g.sourceHeight);
    return { kind: 'source', pixels, geometry: g };
  }
  if (g.resizedWidth !== size.width || g.resizedHeight !== size.height) {
    pipeline.resize(g.resizedWidth, g.resizedHeight, { fit: 'fill', kernel: LETTERBOX_KERNEL });
  }
  const v = target.padValue;
  const right = g.inputWidth - g.resizedWidth - g.padLeft;
  const bottom = g.inputHeight - g.resizedHeight - g.padTop;
  if (g.padLeft + g.padTop + right + bottom > 0) {
    pipeline.extend({ top: g.padTop, bottom, left: g.padLeft, right, background: { r: v, g: v, b: v, alpha: 1 } });
  }
  return { kind: 'input', pixels: await toRgb(pipeline, image, g.inputWidth, g.inputHeight), geometry: g };
}

/** The pipeline's output as 8-bit sRGB without alpha, checked to be width x height x 3. */
async function toRgb(pipeline: Sharp, image: AdmittedImage, width: number, height: number): Promise<Buffer> {
  const { data, info } = await pipeline
    .removeAlpha()
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.width !== width || info.height !== height || info.channels !== 3) {
    throw new ImageRejectedError(
      'IMAGE_CORRUPT',
      `${image.path} decodes to ${info.width}x${info.height}x${info.channels}, expected ${width}x${height}x3 (sRGB without alpha)`,
    );
  }
  return data;
}
