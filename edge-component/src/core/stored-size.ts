/**
 * The stored size of a JPEG or PNG from its first bytes (pure, never throws): the width and height the
 * frame header says, before any EXIF orientation. The preparer uses it to choose how to decode an image
 * and to refuse one with too many pixels, without asking libvips to open the image for its header
 * first (adapters/sharp-letterbox.ts). It is a hint, never the truth about the pixels: whatever the
 * decoder then produces is checked against it.
 *
 * - JPEG: marker segments from SOI walked by their lengths (APPn, DQT, DHT... skipped, fill bytes
 *   allowed) up to the first start-of-frame marker (SOF0-3, SOF5-7, SOF9-11, SOF13-15): its height at
 *   offset 3 and width at offset 5 of the segment, big-endian. A height of 0 (defined later by a DNL
 *   marker), a scan before any frame header, or a segment running past the bytes: undefined.
 * - PNG: the signature, then the first chunk, which must be IHDR (13 bytes): width and height, the
 *   first two big-endian 32-bit fields.
 * Undefined for anything else: the caller then asks the decoder, which names the fault.
 */
import { sniffImageFormat } from './admit.ts';
import { jpegMarkerAt } from './jpeg-marker.ts';

export interface StoredSize {
  readonly width: number;
  readonly height: number;
}

/** SOFn markers carry the frame's size; C4 (DHT), C8 (JPG) and CC (DAC) are not frames. */
const isStartOfFrame = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

function jpegSize(b: Uint8Array): StoredSize | undefined {
  let i = 2; // after SOI
  while (i < b.length) {
    const marker = jpegMarkerAt(b, i);
    // No marker, EOI or a scan before any frame header, or a segment running past the bytes.
    if (!marker || marker.code === 0xd9 || marker.code === 0xda || marker.end > b.length) return undefined;
    const { code, at } = marker;
    if (isStartOfFrame(code)) {
      if (marker.end - at < 8) return undefined; // a frame header shorter than its size fields
      const height = ((b[at + 4] as number) << 8) | (b[at + 5] as number);
      const width = ((b[at + 6] as number) << 8) | (b[at + 7] as number);
      return width > 0 && height > 0 ? { width, height } : undefined;
    }
    i = marker.end;
  }
  return undefined;
}

function pngSize(b: Uint8Array): StoredSize | undefined {
  // Signature (8), then the IHDR chunk: length (4) = 13, type (4) 'IHDR', width (4), height (4), ...
  if (b.length < 8 + 8 + 13) return undefined;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const isIhdr = b[12] === 0x49 && b[13] === 0x48 && b[14] === 0x44 && b[15] === 0x52;
  if (view.getUint32(8) !== 13 || !isIhdr) return undefined;
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  // PNG limits both to 2^31 - 1.
  return width > 0 && height > 0 && width < 2 ** 31 && height < 2 ** 31 ? { width, height } : undefined;
}

/** The frame header's width and height of a JPEG or PNG, or undefined (see the file comment). */
export function storedImageSize(bytes: Uint8Array): StoredSize | undefined {
  const format = sniffImageFormat(bytes);
  if (format === 'jpeg') return jpegSize(bytes);
  if (format === 'png') return pngSize(bytes);
  return undefined;
}
