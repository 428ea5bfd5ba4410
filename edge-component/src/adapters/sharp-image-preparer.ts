/**
 * ImagePreparer on sharp (libvips): reads a camera file once, admits it (core/admit.ts: size, magic
 * bytes, SHA-256), then reads its header (its displayed size) and decodes it ONCE with
 *   - `limitInputPixels`: an image with more pixels than allowed is refused from its header, before
 *     any pixel is decoded (a 30000x30000 PNG bomb costs nothing);
 *   - `failOn: 'truncated'`: a truncated JPEG/PNG is refused instead of decoding grey;
 *   - `autoOrient`: EXIF orientation applied, so width/height and boxes are in displayed pixels;
 * and letterboxes it as the model was trained (sharp-letterbox.ts): the whole image's 8-bit sRGB pixels
 * go through cv2's INTER_LINEAR letterbox straight into the float32 tensor (core/letterbox-tensor.ts,
 * bit-exact); only an image reduced three times or more is letterboxed in libvips (a JPEG decoded at a
 * reduced scale by shrink-on-load), its input's pixels then filling the tensor in one pass
 * (core/planar-tensor.ts). The tensor comes from the input tensor pool when there is one
 * (input-tensor-pool.ts); the decoded pixels are released as soon as the tensor holds them
 * (release-memory.ts).
 *
 * libvips' operation cache is switched off (`sharp.cache(false)`): each image is decoded once, so the
 * cache only grows the process's memory. libvips runs each pipeline on one thread
 * (`sharp.concurrency(1)`): the images overlap with inference, which has the other core, and more
 * threads per image cost more CPU in all for the same work (docs/benchmarks.md). Both are process-wide
 * settings of sharp, set on creation.
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
import sharp from 'sharp';
import { admitBytes } from '../core/admit.ts';
import { letterboxTensor } from '../core/letterbox-tensor.ts';
import { planarTensor } from '../core/planar-tensor.ts';
import { hasCode, ImageRejectedError, IntakeFileError } from '../errors.ts';
import type { AdmittedImage, CameraFile, ImagePreparer, PreparedImage } from '../ports.ts';
import { releaseMemory } from '../release-memory.ts';
import { fileTypeOf, identityOf, sameIdentity } from './file-identity.ts';
import { inputTensorPool } from './input-tensor-pool.ts';
import { sharpLetterbox } from './sharp-letterbox.ts';

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

/** The size of a client's packed RGB888 pixels, checked against their bytes and the pixel limit. */
function rawSize(image: AdmittedImage, maxPixels: number): { width: number; height: number } {
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
  return { width: size.width, height: size.height };
}

export function createSharpImagePreparer(options: SharpImagePreparerOptions): ImagePreparer {
  for (const key of ['maxFileBytes', 'maxPixels'] as const) {
    if (!Number.isSafeInteger(options[key]) || options[key] <= 0) {
      throw new RangeError(`createSharpImagePreparer: ${key} must be a positive integer, got ${options[key]}`);
    }
  }
  sharp.cache(false);
  sharp.concurrency(1);
  const { maxFileBytes, maxPixels } = options;

  return {
    admit: (f: CameraFile) => admitFile(f, maxFileBytes),

    async prepare(image, input): Promise<PreparedImage> {
      const t0 = performance.now();
      const [, , inputHeight, inputWidth] = input.shape;
      const target = { inputWidth, inputHeight, padValue: input.resize.padValue };
      let letterboxed: Awaited<ReturnType<typeof sharpLetterbox>>;
      try {
        const raw = image.format === 'rgb' ? rawSize(image, maxPixels) : undefined;
        letterboxed = await sharpLetterbox(image, target, maxPixels, raw);
      } catch (cause) {
        throw cause instanceof ImageRejectedError ? cause : decodeError(image, maxPixels, cause);
      }
      const t1 = performance.now();
      const { pixels, geometry } = letterboxed;
      const into = inputTensorPool.take(3 * inputWidth * inputHeight);
      const tensor =
        letterboxed.kind === 'input'
          ? planarTensor(pixels, inputWidth, inputHeight, input, into)
          : letterboxTensor(
              { data: pixels, width: geometry.sourceWidth, height: geometry.sourceHeight, channels: 3 },
              geometry,
              input,
              into,
            );
      releaseMemory(pixels); // in the tensor now
      return {
        image,
        width: geometry.sourceWidth,
        height: geometry.sourceHeight,
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
