/**
 * One step of a walk through a JPEG's marker segments (pure), shared by the completeness check
 * (adapters/image-complete.ts) and the frame-size read (core/stored-size.ts): at `i` an FF, any fill
 * FFs, then the marker's code; a marker without a length field (SOI, EOI, RST0-7, TEM) ends after its
 * code, any other after its big-endian length (which counts itself, so at least 2).
 */

export interface JpegMarker {
  /** The marker's code (the byte after the FFs). */
  readonly code: number;
  /** Index of the code byte. */
  readonly at: number;
  /** Index just after the marker's segment; may lie past the bytes when they are cut short. */
  readonly end: number;
}

/** Markers without a length field: SOI, EOI, RST0-7, TEM. */
const standalone = (m: number) => m === 0xd8 || m === 0xd9 || (m >= 0xd0 && m <= 0xd7) || m === 0x01;

/** The marker at `i`, or undefined when there is none there or the bytes end inside its header. */
export function jpegMarkerAt(b: Uint8Array, i: number): JpegMarker | undefined {
  const n = b.length;
  if (b[i] !== 0xff) return undefined;
  let at = i + 1;
  while (at < n && b[at] === 0xff) at += 1; // fill bytes before a marker
  if (at >= n) return undefined;
  const code = b[at] as number;
  if (standalone(code)) return { code, at, end: at + 1 };
  if (at + 2 >= n) return undefined;
  const length = ((b[at + 1] as number) << 8) | (b[at + 2] as number);
  return length < 2 ? undefined : { code, at, end: at + 1 + length };
}
