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
 * Admit reads a camera file through ONE descriptor, in this order: lstat (a symbolic link, FIFO,
 * socket or device is refused, IMAGE_NOT_REGULAR_FILE, without being opened or followed); the size
 * limit from that same lstat (IMAGE_TOO_LARGE, nothing read); open with O_NOFOLLOW | O_NONBLOCK; fstat,
 * which must be the same file (device, inode) as the lstat and the size and mtime the camera source
 * judged complete; then at most size + 1 bytes read, and an fstat after the read. A file that changed
 * on the way is IMAGE_CHANGED (the agent offers it again, it is not quarantined). The admitted image
 * carries the descriptor's identity, which the archive checks again before it moves the file.
 *
 * Rejections: ImageRejectedError IMAGE_EMPTY, IMAGE_TOO_LARGE, IMAGE_UNSUPPORTED_FORMAT,
 * IMAGE_NOT_REGULAR_FILE, IMAGE_CHANGED (admit), IMAGE_TOO_MANY_PIXELS, IMAGE_TRUNCATED, IMAGE_CORRUPT
 * (prepare).
 */
import { constants } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import sharp, { type OutputInfo } from 'sharp';
import { admitBytes } from '../core/admit.ts';
import { letterboxGeometry } from '../core/letterbox.ts';
import { letterboxTensor } from '../core/letterbox-tensor.ts';
import { hasCode, ImageRejectedError, IntakeFileError } from '../errors.ts';
import type { AdmittedImage, CameraFile, ImagePreparer, PreparedImage } from '../ports.ts';
import { releaseMemory } from '../release-memory.ts';
import { fileTypeOf, identityOf, sameIdentity } from './file-identity.ts';

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
    admit: (f: CameraFile) => admitFile(f, maxFileBytes),

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

const tooLarge = (path: string, sizeBytes: number, maxFileBytes: number) =>
  new ImageRejectedError('IMAGE_TOO_LARGE', `${path} has ${sizeBytes} bytes, more than ${maxFileBytes}`);

const changed = (path: string, what: string) =>
  new IntakeFileError('IMAGE_CHANGED', `${path} changed while it was taken in (${what}); it is offered again`);

/** Reads and admits one camera file through one descriptor (see the file comment for the order). */
async function admitFile(f: CameraFile, maxFileBytes: number): Promise<AdmittedImage> {
  if (f.sizeBytes > maxFileBytes) throw tooLarge(f.path, f.sizeBytes, maxFileBytes); // nothing touched
  const link = await lstat(f.path);
  if (!link.isFile()) {
    throw new IntakeFileError(
      'IMAGE_NOT_REGULAR_FILE',
      `${f.path} is ${fileTypeOf(link)}, not a regular file; it is not followed or read`,
    );
  }
  if (link.size > maxFileBytes) throw tooLarge(f.path, link.size, maxFileBytes);
  const handle = await open(f.path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(
    (err: unknown) => {
      // Replaced by a symbolic link between the lstat and the open.
      if (hasCode(err, 'ELOOP')) throw changed(f.path, 'it became a symbolic link');
      throw err;
    },
  );
  try {
    const before = await handle.stat();
    const identity = identityOf(before);
    if (!before.isFile() || before.dev !== link.dev || before.ino !== link.ino) {
      throw changed(f.path, 'another file took its name');
    }
    if (before.size > maxFileBytes) throw tooLarge(f.path, before.size, maxFileBytes);
    // The camera source's file carries the identity it judged complete; a file named by hand does not.
    if (f.identity && !sameIdentity(f.identity, identity)) {
      throw changed(f.path, `size ${f.sizeBytes} -> ${before.size}, mtime ${f.mtimeMs} -> ${before.mtimeMs}`);
    }
    const bytes = new Uint8Array(before.size + 1); // one more: a file that grew is seen to change
    let filled = 0;
    for (;;) {
      const { bytesRead } = await handle.read(bytes, filled, bytes.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
      if (filled === bytes.length) throw changed(f.path, 'it grew while it was read');
    }
    const after = await handle.stat();
    if (filled !== before.size || !sameIdentity(identity, identityOf(after))) {
      throw changed(f.path, 'it was written while it was read');
    }
    return { ...admitBytes(f.path, bytes.subarray(0, filled), f.mtimeMs, maxFileBytes), identity };
  } finally {
    await handle.close().catch(() => undefined);
  }
}
