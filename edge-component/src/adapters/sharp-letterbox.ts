/**
 * Decoding for the letterbox: an encoded image (JPEG, PNG) or packed RGB888 pixels become either the
 * model input's pixels already letterboxed in libvips, or the whole image's pixels for the caller's
 * letterbox in JavaScript (core/letterbox-tensor.ts: cv2.resize INTER_LINEAR, bit-exact). Both are
 * 8-bit sRGB without alpha, decoded once:
 *   1. the size: the frame header's, read in JavaScript (core/stored-size.ts), when it settles the
 *      choice below whichever way the EXIF orientation turns the image; otherwise the header through
 *      sharp's metadata (the displayed size after EXIF orientation). Either way, an image with more
 *      pixels than allowed is refused here, before any pixel is decoded. core/letterbox.ts computes the
 *      geometry (scale, resized size, padding) as Ultralytics does from the displayed size: for a
 *      whole decode, the decoded size itself, which must be the stored size or that size turned;
 *   2. decode with `autoOrient`, `failOn: 'truncated'` and `limitInputPixels`.
 * Asking libvips for the header first opens the image a second time, a job of its own on libvips'
 * threads (its cost: docs/benchmarks.md); reading the frame header in JavaScript is a short walk.
 *
 * Which of the two, by how much the image is reduced (its source size over the resized size, the
 * smaller of the two axes):
 *   - less than LIBVIPS_REDUCTION_MIN (every size the demo model was trained and tested on): the whole
 *     image (`source`), letterboxed by the caller as the model was trained (cv2's INTER_LINEAR samples
 *     the 2 x 2 source pixels around each output pixel's centre, without antialiasing). libvips cannot
 *     give those samples cheaply: its reduce antialiases (its kernels widen with the scale; with
 *     `linear` or `lanczos3` the demo model's FP32 figures moved by more than the 0.005 allowed), and
 *     its affine with the bilinear interpolator matches cv2 to one grey level but costs more CPU than
 *     the decode and the JavaScript letterbox together (docs/benchmarks.md). JPEG shrink-on-load does
 *     not happen here either: sharp applies it only from a reduction of 3 (below, it rounds the shrink
 *     down to none);
 *   - LIBVIPS_REDUCTION_MIN or more: letterboxed in libvips (`input`): a JPEG decoded at 1/2, 1/4 or
 *     1/8 scale by libjpeg itself (libvips' shrink-on-load), a PNG or raw pixels streamed through
 *     libvips, then resized with lanczos3 and padded with the manifest's pad value. Only the input's
 *     pixels leave libvips, so the process never holds a large image whole. Such images are larger
 *     than any the model was trained on, and cv2's INTER_LINEAR would skip most of their pixels
 *     (aliasing thin scratches away); decoding a quarter of a JPEG's pixels or fewer is the saving.
 */
import sharp, { type KernelEnum, type Sharp } from 'sharp';
import { letterboxGeometry } from '../core/letterbox.ts';
import { type StoredSize, storedImageSize } from '../core/stored-size.ts';
import type { LetterboxGeometry } from '../core/types.ts';
import { ImageRejectedError } from '../errors.ts';
import type { AdmittedImage } from '../ports.ts';
import { releaseMemory } from '../release-memory.ts';

/** The reduction from which an image is letterboxed in libvips (see the file comment). */
export const LIBVIPS_REDUCTION_MIN = 3;

/** libvips' resize kernel for those images (see the file comment). */
export const LIBVIPS_KERNEL: keyof KernelEnum = 'lanczos3';

export interface LetterboxTarget {
  readonly inputWidth: number;
  readonly inputHeight: number;
  /** Grey level of the padding (the manifest's input.resize.padValue). */
  readonly padValue: number;
}

/**
 * `input`: the input's pixels, letterboxed (inputWidth x inputHeight x 3 bytes, row by row, R G B).
 * `source`: the whole image, decoded (width x height x 3 bytes), for the caller's letterbox
 * (core/letterbox-tensor.ts).
 */
export type LetterboxedPixels =
  | { readonly kind: 'input'; readonly pixels: Buffer; readonly geometry: LetterboxGeometry }
  | { readonly kind: 'source'; readonly pixels: Buffer; readonly geometry: LetterboxGeometry };

function tooManyPixels(image: AdmittedImage, size: StoredSize, maxPixels: number): ImageRejectedError {
  return new ImageRejectedError(
    'IMAGE_TOO_MANY_PIXELS',
    `${image.path} has ${size.width}x${size.height} pixels, more than ${maxPixels}`,
  );
}

/** The displayed size of an encoded image (EXIF orientation applied), from its header. */
async function displayedSize(image: AdmittedImage, maxPixels: number): Promise<{ width: number; height: number }> {
  const meta = await sharp(image.bytes, { limitInputPixels: maxPixels }).metadata();
  const { width, height } = meta.autoOrient ?? meta;
  if (!width || !height) {
    throw new ImageRejectedError('IMAGE_CORRUPT', `${image.path}: the header gives no width and height`);
  }
  if (meta.width * meta.height > maxPixels) throw tooManyPixels(image, meta, maxPixels);
  return { width, height };
}

/**
 * Whether an image of this stored size is decoded whole however its EXIF orientation turns it (the
 * orientation is not read here: both ways must agree).
 */
function wholeDecodeEitherWay(size: StoredSize, target: LetterboxTarget): boolean {
  const { inputWidth: w, inputHeight: h } = target;
  return (
    !letterboxedInLibvips(letterboxGeometry(size.width, size.height, w, h)) &&
    !letterboxedInLibvips(letterboxGeometry(size.height, size.width, w, h))
  );
}

/** The source of the pipeline: encoded bytes (checked, oriented) or a client's raw RGB888 pixels. */
function source(image: AdmittedImage, maxPixels: number, raw?: { width: number; height: number }): Sharp {
  const bytes = Buffer.from(image.bytes.buffer, image.bytes.byteOffset, image.bytes.byteLength);
  return raw
    ? sharp(bytes, { raw: { width: raw.width, height: raw.height, channels: 3 }, limitInputPixels: maxPixels })
    : sharp(bytes, { failOn: 'truncated', limitInputPixels: maxPixels, autoOrient: true });
}

/** Whether an image of this geometry is letterboxed in libvips rather than decoded whole (see the file comment). */
export function letterboxedInLibvips(g: LetterboxGeometry): boolean {
  return Math.min(g.sourceWidth / g.resizedWidth, g.sourceHeight / g.resizedHeight) >= LIBVIPS_REDUCTION_MIN;
}

/**
 * Decodes `image` for the target's letterbox. `raw`: the size of format-rgb pixels (already checked by
 * the caller); absent for an encoded image, whose size comes from its header.
 */
export async function sharpLetterbox(
  image: AdmittedImage,
  target: LetterboxTarget,
  maxPixels: number,
  raw?: { width: number; height: number },
): Promise<LetterboxedPixels> {
  const stored = raw ? undefined : storedImageSize(image.bytes);
  if (stored && wholeDecodeEitherWay(stored, target)) {
    if (stored.width * stored.height > maxPixels) throw tooManyPixels(image, stored, maxPixels);
    return await wholeDecode(image, target, maxPixels, stored);
  }
  const size = raw ?? (await displayedSize(image, maxPixels));
  const g = letterboxGeometry(size.width, size.height, target.inputWidth, target.inputHeight);
  const pipeline = source(image, maxPixels, raw);
  if (!letterboxedInLibvips(g)) {
    const pixels = await toRgb(pipeline, image, g.sourceWidth, g.sourceHeight);
    return { kind: 'source', pixels, geometry: g };
  }
  pipeline.resize(g.resizedWidth, g.resizedHeight, { fit: 'fill', kernel: LIBVIPS_KERNEL });
  const v = target.padValue;
  const right = g.inputWidth - g.resizedWidth - g.padLeft;
  const bottom = g.inputHeight - g.resizedHeight - g.padTop;
  if (g.padLeft + g.padTop + right + bottom > 0) {
    pipeline.extend({ top: g.padTop, bottom, left: g.padLeft, right, background: { r: v, g: v, b: v, alpha: 1 } });
  }
  return { kind: 'input', pixels: await toRgb(pipeline, image, g.inputWidth, g.inputHeight), geometry: g };
}

/**
 * An encoded image decoded whole, its geometry from the decoded (displayed) size, which must be the
 * stored size or that size turned by the EXIF orientation.
 */
async function wholeDecode(
  image: AdmittedImage,
  target: LetterboxTarget,
  maxPixels: number,
  stored: StoredSize,
): Promise<LetterboxedPixels> {
  const { data, info } = await rgbOf(source(image, maxPixels));
  const upright = info.width === stored.width && info.height === stored.height;
  const turned = info.width === stored.height && info.height === stored.width;
  if ((!upright && !turned) || info.channels !== 3) {
    releaseMemory(data);
    throw new ImageRejectedError(
      'IMAGE_CORRUPT',
      `${image.path} decodes to ${info.width}x${info.height}x${info.channels}, expected ${stored.width}x${stored.height}x3 or turned (its frame header's size, sRGB without alpha)`,
    );
  }
  const g = letterboxGeometry(info.width, info.height, target.inputWidth, target.inputHeight);
  return { kind: 'source', pixels: data, geometry: g };
}

const rgbOf = (pipeline: Sharp) =>
  pipeline.removeAlpha().toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });

/** The pipeline's output as 8-bit sRGB without alpha, checked to be width x height x 3. */
async function toRgb(pipeline: Sharp, image: AdmittedImage, width: number, height: number): Promise<Buffer> {
  const { data, info } = await rgbOf(pipeline);
  if (info.width !== width || info.height !== height || info.channels !== 3) {
    releaseMemory(data);
    throw new ImageRejectedError(
      'IMAGE_CORRUPT',
      `${image.path} decodes to ${info.width}x${info.height}x${info.channels}, expected ${width}x${height}x3 (sRGB without alpha)`,
    );
  }
  return data;
}
