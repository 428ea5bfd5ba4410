/**
 * POSIX shared memory segments, read and written as files: on Linux, shm_open("/name") is the file
 * /dev/shm/name. A segment is named like shm_open wants it (one optional leading '/', no other '/',
 * 1..255 characters; Python's SharedMemory names have no slash); only regular files, never through a
 * symlink. Every problem is a SyncInspectionError SYNC_BAD_BITMAP whose message names the request's
 * field (`field` is e.g. "bitmap.shared_memory_handle").
 */
import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import { hasCode, SyncCode, SyncInspectionError } from '../../errors.ts';
import type { SharedMemoryHandle } from './edge-agent-messages.ts';

export const SHARED_MEMORY_DIR = '/dev/shm';

const bad = (message: string, cause?: unknown) => new SyncInspectionError(SyncCode.BadBitmap, message, { cause });

export function sharedMemoryPath(name: string, field: string, dir = SHARED_MEMORY_DIR): string {
  const bare = name.startsWith('/') ? name.slice(1) : name;
  if (!/^[^/\0]{1,255}$/.test(bare) || bare === '.' || bare === '..') {
    throw bad(`${field}.name ${JSON.stringify(name)} is not a shared memory name: expected "/name" or "name"`);
  }
  return join(dir, bare);
}

/** Opens the segment and checks that [offset, offset + size) lies inside it. */
async function openRegion(handle: SharedMemoryHandle, field: string, flags: number, dir: string) {
  const path = sharedMemoryPath(handle.name, field, dir);
  for (const key of ['size', 'offset'] as const) {
    if (!Number.isSafeInteger(handle[key]) || handle[key] < 0) {
      throw bad(`${field}.${key} ${handle[key]} is not a byte count`);
    }
  }
  let file: FileHandle;
  try {
    file = await open(path, flags | constants.O_NOFOLLOW);
  } catch (cause) {
    const why = hasCode(cause, 'ENOENT') ? 'no such segment' : 'cannot be opened';
    throw bad(`${field}.name ${JSON.stringify(handle.name)}: ${why} (${path})`, cause);
  }
  const stats = await file.stat();
  if (!stats.isFile() || handle.offset + handle.size > stats.size) {
    await file.close();
    throw bad(
      stats.isFile()
        ? `${field}: offset ${handle.offset} + size ${handle.size} is past the end of the ${stats.size}-byte segment`
        : `${field}.name ${JSON.stringify(handle.name)} is not a shared memory segment (${path})`,
    );
  }
  return file;
}

/**
 * The bytes [offset, offset + size) of the segment, in `into` when given (exactly `size` bytes long:
 * a buffer used again, pixel-buffer-pool.ts), else in a new buffer.
 */
export async function readSharedMemory(
  handle: SharedMemoryHandle,
  field: string,
  dir = SHARED_MEMORY_DIR,
  into?: Uint8Array,
): Promise<Uint8Array> {
  if (into !== undefined && into.length !== handle.size) {
    throw new RangeError(`readSharedMemory: the buffer has ${into.length} bytes, the handle's size is ${handle.size}`);
  }
  const file = await openRegion(handle, field, constants.O_RDONLY, dir);
  try {
    const bytes = into ?? Buffer.allocUnsafe(handle.size);
    let filled = 0;
    while (filled < handle.size) {
      const { bytesRead } = await file.read(bytes, filled, handle.size - filled, handle.offset + filled);
      if (bytesRead === 0) throw bad(`${field}: the segment shrank while it was read (${filled} of ${handle.size})`);
      filled += bytesRead;
    }
    return bytes;
  } finally {
    await file.close();
  }
}

/** Checks, before the work, that the segment exists and can take [offset, offset + size). */
export async function checkWritableSharedMemory(
  handle: SharedMemoryHandle,
  field: string,
  dir = SHARED_MEMORY_DIR,
): Promise<void> {
  const file = await openRegion(handle, field, constants.O_RDWR, dir);
  await file.close();
}

/** Writes `bytes` (exactly `size` of them) at the handle's offset. */
export async function writeSharedMemory(
  handle: SharedMemoryHandle,
  bytes: Uint8Array,
  field: string,
  dir = SHARED_MEMORY_DIR,
): Promise<void> {
  const file = await openRegion(handle, field, constants.O_RDWR, dir);
  try {
    await file.write(bytes, 0, bytes.length, handle.offset);
  } finally {
    await file.close();
  }
}
