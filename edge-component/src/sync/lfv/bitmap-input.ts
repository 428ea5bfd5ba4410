/**
 * The request's bitmap as packed RGB888 pixels, from `byte_data` or from a shared memory segment, and
 * the mask target of `anomaly_mask_params`, both checked against the documented limits (64..4096 pixels
 * a side, width x height x 3 bytes). Problems are SyncInspectionError SYNC_BAD_BITMAP naming the field
 * (INVALID_ARGUMENT on the wire).
 */
import { SyncCode, SyncInspectionError } from '../../errors.ts';
import type { BitmapIn, DetectAnomaliesRequest, SharedMemoryHandle } from './edge-agent-messages.ts';
import { sharedMemoryPixelPool } from './pixel-buffer-pool.ts';
import { checkWritableSharedMemory, readSharedMemory } from './shared-memory.ts';

export const MIN_SIDE_PX = 64;
export const MAX_SIDE_PX = 4096;

export interface RgbBitmap {
  readonly width: number;
  readonly height: number;
  /** Inline bytes, at hand; shared memory is read later, in the request's turn (`readPixels`). */
  readonly pixels?: Uint8Array;
  readonly readPixels?: () => Promise<Uint8Array>;
  /** Gives back what readPixels returned, once the work has ended (a pooled buffer: pixel-buffer-pool.ts). */
  readonly releasePixels?: (pixels: Uint8Array) => void;
}

/** Where the mask goes: inline in the response, or into the client's segment. */
export type MaskTarget = { readonly kind: 'inline' } | { readonly kind: 'shared'; readonly handle: SharedMemoryHandle };

const bad = (message: string) => new SyncInspectionError(SyncCode.BadBitmap, message);

function checkedSize(bitmap: BitmapIn): number {
  for (const side of ['width', 'height'] as const) {
    const v = bitmap[side];
    if (!Number.isInteger(v) || v < MIN_SIDE_PX || v > MAX_SIDE_PX) {
      throw bad(`bitmap.${side} ${v} is outside ${MIN_SIDE_PX}..${MAX_SIDE_PX}`);
    }
  }
  return bitmap.width * bitmap.height * 3;
}

function checkHandleSize(handle: SharedMemoryHandle, expected: number, field: string): void {
  if (handle.size !== expected) {
    throw bad(`${field}.size ${handle.size} is not width x height x 3 = ${expected} bytes (RGB888)`);
  }
}

export async function readBitmap(bitmap: BitmapIn | null): Promise<RgbBitmap> {
  if (bitmap === null) throw bad('bitmap is missing');
  const size = checkedSize(bitmap);
  const { width, height } = bitmap;
  if (bitmap.data === 'byte_data' && bitmap.byte_data) {
    if (bitmap.byte_data.length !== size) {
      throw bad(`bitmap.byte_data has ${bitmap.byte_data.length} bytes, not width x height x 3 = ${size} (RGB888)`);
    }
    return { width, height, pixels: bitmap.byte_data };
  }
  if (bitmap.data === 'shared_memory_handle' && bitmap.shared_memory_handle) {
    const handle = bitmap.shared_memory_handle;
    checkHandleSize(handle, size, 'bitmap.shared_memory_handle');
    const pool = sharedMemoryPixelPool;
    return {
      width,
      height,
      readPixels: async () => {
        const into = pool.take(handle.size);
        try {
          return await readSharedMemory(handle, 'bitmap.shared_memory_handle', undefined, into);
        } catch (err) {
          pool.give(into);
          throw err;
        }
      },
      releasePixels: (pixels) => pool.give(pixels),
    };
  }
  throw bad('bitmap has neither byte_data nor shared_memory_handle');
}

/** null when the request does not ask for the mask. */
export async function maskTargetOf(request: DetectAnomaliesRequest, image: RgbBitmap): Promise<MaskTarget | null> {
  const params = request.anomaly_mask_params;
  if (params === null) return null;
  const handle = params.shared_memory_handle;
  if (handle === null) return { kind: 'inline' };
  const field = 'anomaly_mask_params.shared_memory_handle';
  checkHandleSize(handle, image.width * image.height * 3, field);
  await checkWritableSharedMemory(handle, field);
  return { kind: 'shared', handle };
}
