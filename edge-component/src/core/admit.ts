/**
 * Admission of an image file's bytes (pure: no file access): not empty, not larger than allowed,
 * JPEG or PNG by its magic bytes (never by its name); hashed (SHA-256) for traceability and to
 * recognise a re-sent identical file. Rejections are ImageRejectedError with the documented codes.
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { ImageRejectedError } from '../errors.ts';
import type { AdmittedImage } from '../ports.ts';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The image format by its first bytes: JPEG (FF D8 FF) or PNG (its 8-byte signature). */
export function sniffImageFormat(bytes: Uint8Array): 'jpeg' | 'png' | undefined {
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= PNG_SIGNATURE.length && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return 'png';
  return undefined;
}

export function admitBytes(path: string, bytes: Uint8Array, mtimeMs: number, maxFileBytes: number): AdmittedImage {
  if (bytes.length === 0) throw new ImageRejectedError('IMAGE_EMPTY', `${path} is empty (0 bytes)`);
  if (bytes.length > maxFileBytes) {
    throw new ImageRejectedError('IMAGE_TOO_LARGE', `${path} has ${bytes.length} bytes, more than ${maxFileBytes}`);
  }
  const format = sniffImageFormat(bytes);
  if (!format) {
    throw new ImageRejectedError('IMAGE_UNSUPPORTED_FORMAT', `${path} is neither JPEG nor PNG (magic bytes)`);
  }
  return {
    path,
    file: basename(path),
    bytes,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    format,
    sizeBytes: bytes.length,
    mtimeMs,
  };
}
