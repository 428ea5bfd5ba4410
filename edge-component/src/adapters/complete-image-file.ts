/**
 * Whether a file's `sizeBytes` bytes are a complete JPEG/PNG (image-complete.ts). The size limit is
 * checked first, from the caller's stat: a file over `maxBytes` is never opened (a 4 GiB sparse file
 * ending in FF D9 once made the whole read abort the process). The last bytes are looked at next, so a
 * file without an image's end is not read. The file is opened without following a symbolic link, and
 * its descriptor must be the regular file of that size. False when the file cannot be read, is too
 * large, or has another size now.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { hasImageTrailer, isCompleteImage } from './image-complete.ts';

/** Never more than this in one buffer, whatever the limit says (Node's reads take int32 lengths). */
const HARD_MAX_BYTES = 1024 * 1024 * 1024;

export async function isCompleteImageFile(path: string, sizeBytes: number, maxBytes: number): Promise<boolean> {
  if (sizeBytes < 16 || sizeBytes > maxBytes || sizeBytes > HARD_MAX_BYTES) return false;
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(
    () => undefined,
  );
  if (!handle) return false;
  try {
    const s = await handle.stat();
    if (!s.isFile() || s.size !== sizeBytes) return false;
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
