/**
 * Is this file a complete image, provably, from its bytes alone? Used by the camera folder source to
 * admit a file as soon as it is complete instead of waiting for it to stay unchanged for a second.
 *
 * "Complete" means the image's own structure ends exactly at the end of the file:
 * - JPEG: SOI, then marker segments walked by their lengths (so an EXIF thumbnail's FFD9 inside APP1 is
 *   skipped, not mistaken for the end), entropy-coded data scanned for the next real marker (FF00
 *   stuffing, RST0-7 and fill bytes skipped), until EOI (FFD9) whose last byte is the file's last byte.
 * - PNG: the signature, then chunks walked by their lengths until IEND, which must end at end of file.
 * Anything else (another format, trailing bytes after the end, a truncated or still-growing file, a
 * structure that does not parse) is not provably complete: the caller falls back to waiting for the
 * file to stop changing. Pure; never throws.
 */

import { jpegMarkerAt } from '../core/jpeg-marker.ts';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function jpegComplete(b: Uint8Array): boolean {
  const n = b.length;
  let i = 2; // after SOI
  let inScan = false;
  while (i < n) {
    if (inScan) {
      // Entropy-coded data: find the next FF that starts a real marker.
      const ff = b.indexOf(0xff, i);
      if (ff < 0 || ff + 1 >= n) return false;
      const m = b[ff + 1] as number;
      if (m === 0x00 || (m >= 0xd0 && m <= 0xd7) || m === 0xff) {
        i = m === 0xff ? ff + 1 : ff + 2;
        continue;
      }
      inScan = false;
      i = ff;
      continue;
    }
    const marker = jpegMarkerAt(b, i);
    if (!marker) return false;
    if (marker.code === 0xd9) return marker.at === n - 1; // EOI must be the last byte
    i = marker.end;
    if (marker.code === 0xda) inScan = true; // SOS: its header, then entropy-coded data
  }
  return false;
}

function pngComplete(b: Uint8Array): boolean {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let i = PNG_SIGNATURE.length;
  while (i + 12 <= b.length) {
    const length = view.getUint32(i);
    const end = i + 12 + length;
    if (end > b.length) return false;
    // IEND: type bytes 'I' 'E' 'N' 'D'
    if (b[i + 4] === 0x49 && b[i + 5] === 0x45 && b[i + 6] === 0x4e && b[i + 7] === 0x44) return end === b.length;
    i = end;
  }
  return false;
}

/** True when `bytes` is a JPEG or PNG whose structure ends exactly at the last byte. */
export function isCompleteImage(bytes: Uint8Array): boolean {
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return jpegComplete(bytes);
  if (bytes.length >= PNG_SIGNATURE.length + 12 && PNG_SIGNATURE.every((v, k) => bytes[k] === v)) {
    return pngComplete(bytes);
  }
  return false;
}

/** The cheap pre-check: could these last bytes end a JPEG (FFD9) or a PNG (IEND chunk and its CRC)? */
export function hasImageTrailer(tail: Uint8Array): boolean {
  const n = tail.length;
  if (n >= 2 && tail[n - 2] === 0xff && tail[n - 1] === 0xd9) return true;
  // IEND chunk: length 0, 'IEND', CRC AE 42 60 82.
  const iend = [0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82];
  return n >= 12 && iend.every((v, k) => tail[n - 12 + k] === v);
}
