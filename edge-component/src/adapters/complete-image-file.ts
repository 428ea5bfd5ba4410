/**
 * Whether a file's `sizeBytes` bytes are a complete JPEG/PNG (image-complete.ts). The last bytes are
 * looked at first, so a file without an image's end is not read. False when the file cannot be read or
 * has another size now.
 */
import { open } from 'node:fs/promises';
import { hasImageTrailer, isCompleteImage } from './image-complete.ts';

export async function isCompleteImageFile(path: string, sizeBytes: number): Promise<boolean> {
  if (sizeBytes < 16) return false;
  const handle = await open(path, 'r').catch(() => undefined);
  if (!handle) return false;
  try {
    const tail = new Uint8Array(12);
    const { bytesRead } = await handle.read(tail, 0, 12, sizeBytes - 12);
    if (bytesRead !== 12 || !hasImageTrailer(tail)) return false;
    const bytes = new Uint8Array(sizeBytes + 1); // one more: a file that grew meanwhile is not complete
    let filled = 0;
    for (;;) {
      const r = await handle.read(bytes, filled, bytes.length - filled, filled);
      if (r.bytesRead === 0) break;
      filled += r.bytesRead;
      if (filled === bytes.length) return false;
    }
    return filled === sizeBytes && isCompleteImage(bytes.subarray(0, sizeBytes));
  } catch {
    return false;
  } finally {
    await handle.close().catch(() => undefined);
  }
}
