/**
 * ImagePreparer on sharp (libvips): reads a camera file once, admits it (core/admit.ts: size, magic
 * bytes, SHA-256), then decodes it ONCE (no separate metadata pass) with
 *   - `limitInputPixels`: an image with more pixels than allowed is refused from its header, before
 *     any pixel is decoded (a 30000x30000 PNG bomb costs nothing);
 *   - `failOn: 'truncated'`: a truncated JPEG/PNG is refused instead of decoding grey;
 *   - `autoOrient`: EXIF orientation applied, so width/height and boxes are in displayed pixels;
 * to 8-bit sRGB without alpha, and letterboxes it into the model input in JS (core/letterbox-tensor.ts:
 * bilinear as cv2 INTER_LINEAR, which the model was trained with; see there why not sharp's resize).
 *
 * The decoded pixels are released as soon as the tensor holds them (release-memory.ts).
 *
 * libvips' operation cache is switched off (`sharp.cache(false)`): each image is decoded once, so the
 * cache only grows the process's memory. It is a process-wide setting of sharp, set on creation.
 *
 * Rejections: ImageRejectedError IMAGE_EMPTY, IMAGE_TOO_LARGE, IMAGE_UNSUPPORTED_FORMAT (admit),
 * IMAGE_TOO_MANY_PIXELS, IMAGE_TRUNCATED, IMAGE_CORRUPT (prepare).
 */
import { readFile } from 'node:fs/promises';
import sharp, { type OutputInfo } from 'sharp';
import { admitBytes } from '../core/admit.ts';
import { letterboxGeometry } from '../core/letterbox.ts';
import { letterboxTensor } from '../core/letterbox-tensor.ts';
import { ImageRejectedError } from '../errors.ts';
import type { AdmittedImage, CameraFile, ImagePreparer, PreparedImage } from '../ports.ts';
import { releaseMemory } from '../release-memory.ts';

export interface SharpImagePreparerOptions {
  /** Larger files are refused (IMAGE_TOO_LARGE) before they are read. */
  readonly maxFileBytes: number;
  /** Images with more pixels (width x height) are refused (IMAGE_TOO_MANY_PIXELS) before decoding. */
  readonly maxPixels: number;
}

function decodeError(image: AdmittedImage, maxPixels: number, cause: unknown): ImageRejectedError {
  const text = cause instanceof Error ? cause.message : String(cause);
  if (/pixel limit/i.test(text)) {
    return new ImageRejectedError(
      'IMAGE_TOO_MANY_PIXELS',
      `${image.path} has more than ${maxPixels} pixels (${text.trim()})`,
      { cause },
    );
  }
  const code = /truncat|premature|end of/i.test(text) ? 'IMAGE_TRUNCATED' : 'IMAGE_CORRUPT';
  return new ImageRejectedError(code, `${image.path} cannot be decoded: ${text.trim()}`, { cause });
}

/** One decode to 8-bit sRGB without alpha, EXIF-oriented, refusing truncated files and pixel bombs. */
function decode(image: AdmittedImage, maxPixels: number): Promise<{ data: Buffer; info: OutputInfo }> {
  return sharp(image.bytes, { failOn: 'truncated', limitInputPixels: maxPixels, autoOrient: true })
    .removeAlpha()
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
}

/** A client's packed RGB888 pixels, checked against their stated size and the pixel limit (no copy). */
function rawPixels(
  image: AdmittedImage,
  maxPixels: number,
): { data: Buffer; info: { width: number; height: number; channels: 3 } } {
  const size = image.rgb;
  if (
    !size ||
    !Number.isSafeInteger(size.width) ||
    !Number.isSafeInteger(size.height) ||
    size.width < 1 ||
    size.height < 1
  ) {
    throw new ImageRejectedError('IMAGE_CORRUPT', `${image.path}: raw pixels without a valid width and height`);
  }
  if (size.width * size.height > maxPixels) {
    throw new ImageRejectedError(
      'IMAGE_TOO_MANY_PIXELS',
      `${image.path} has ${size.width}x${size.height} pixels, more than ${maxPixels}`,
    );
  }
  const expected = size.width * size.height * 3;
  if (image.bytes.length !== expected) {
    throw new ImageRejectedError(
      'IMAGE_CORRUPT',
      `${image.path}: ${image.bytes.length} bytes of pixels, expected ${size.width}x${size.height}x3 = ${expected}`,
    );
  }
  const data = Buffer.from(image.bytes.buffer, image.bytes.byteOffset, image.bytes.byteLength);
  return { data, info: { width: size.width, height: size.height, channels: 3 } };
}

export function createSharpImagePreparer(options: SharpImagePreparerOptions): ImagePreparer {
  for (const key of ['maxFileBytes', 'maxPixels'] as const) {
    if (!Number.isSafeInteger(options[key]) || options[key] <= 0) {
      throw new RangeError(`createSharpImagePreparer: ${key} must be a positive integer, got ${options[key]}`);
    }
  }
  sharp.cache(false);
  const { maxFileBytes, maxPixels } = options;

  return {
    async admit(f: CameraFile): Promise<AdmittedImage> {
      if (f.sizeBytes > maxFileBytes) {
        throw new ImageRejectedError(
          'IMAGE_TOO_LARGE',
          `${f.path} has ${f.sizeBytes} bytes, more than ${maxFileBytes}`,
        );
      }
      return admitBytes(f.path, new Uint8Array(await readFile(f.path)), f.mtimeMs, maxFileBytes);
    },

    async prepare(image, input): Promise<PreparedImage> {
      const t0 = performance.now();
      let decoded: { data: Buffer; info: Pick<OutputInfo, 'width' | 'height' | 'channels'> };
      const raw = image.format === 'rgb';
      try {
        decoded = raw ? rawPixels(image, maxPixels) : await decode(image, maxPixels);
      } catch (cause) {
        throw cause instanceof ImageRejectedError ? cause : decodeError(image, maxPixels, cause);
      }
      const { data, info } = decoded;
      if (info.channels !== 3) {
        throw new ImageRejectedError(
          'IMAGE_CORRUPT',
          `${image.path} decodes to ${info.channels} channels, expected 3 (sRGB without alpha)`,
        );
      }
      const t1 = performance.now();
      const [, , inputHeight, inputWidth] = input.shape;
      const geometry = letterboxGeometry(info.width, info.height, inputWidth, inputHeight);
      let tensor: Float32Array;
      try {
        tensor = letterboxTensor(
          { data, width: info.width, height: info.height, channels: info.channels },
          geometry,
          input,
        );
      } finally {
        if (!raw) releaseMemory(data); // the decoded pixels are in the tensor now (raw ones are the caller's)
      }
      return {
        image,
        width: info.width,
        height: info.height,
        tensor,
        geometry,
        timingsMs: { decode: t1 - t0, preprocess: performance.now() - t1 },
      };
    },
  };
}
