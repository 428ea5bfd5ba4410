/**
 * Buffers for the pixels read from a client's shared memory segment, used again from one request to
 * the next instead of allocated per request. A fresh buffer of several MB is memory the kernel maps in
 * page by page (with the agent's malloc settings, every such buffer is a new mapping, unmapped again
 * when it is freed), and that costs several times the read itself; a buffer already mapped is only
 * written over. The single-image reference of the benchmark reads no pixels at all, so this is part of
 * what the shared-memory path adds to the same work.
 *
 * Safety: a buffer comes back only through `give` after the inspection's work has ended (the service's
 * release of what readPixels returned), when libvips has finished reading it and nothing keeps a view
 * of it: the request's pixels are never archived or published (only encoded images are archived).
 *
 * Bounded: at most `maxKept` buffers of at most `maxBufferBytes` each are kept, so the memory held
 * between requests is at most their product; a larger image gets a buffer of its own, freed after its
 * request like before.
 */
import { releaseMemory } from '../../release-memory.ts';

/** Buffers kept: the requests that run at once by default (sync.concurrency). */
export const POOLED_PIXEL_BUFFERS = 2;
/** A 2 MP RGB888 image (1920 x 1080 x 3 is 6.2 MB) fits; larger images are not kept. */
export const MAX_POOLED_PIXEL_BYTES = 8 * 1024 * 1024;

export interface PixelBufferPool {
  /** `size` bytes over a kept buffer when one is large enough (its bytes are stale: overwrite them all). */
  take(size: number): Uint8Array;
  /** Gives back a view `take` returned; the caller must not use it any more. */
  give(view: Uint8Array): void;
  /** Buffers kept now. */
  readonly kept: number;
}

export function createPixelBufferPool(
  maxKept = POOLED_PIXEL_BUFFERS,
  maxBufferBytes = MAX_POOLED_PIXEL_BYTES,
): PixelBufferPool {
  /** Kept buffers, smallest first. */
  const kept: ArrayBuffer[] = [];
  return {
    take(size) {
      const at = kept.findIndex((b) => b.byteLength >= size);
      if (at < 0) return new Uint8Array(size);
      const [buffer] = kept.splice(at, 1);
      return new Uint8Array(buffer as ArrayBuffer, 0, size);
    },
    give(view) {
      const { buffer } = view;
      if (!(buffer instanceof ArrayBuffer) || buffer.detached || view.byteOffset !== 0) return;
      if (kept.includes(buffer)) return;
      const whole = new Uint8Array(buffer);
      if (buffer.byteLength > maxBufferBytes || maxKept === 0) {
        releaseMemory(whole);
        return;
      }
      if (kept.length >= maxKept) {
        // Keep the larger buffers: they serve every image the smaller ones do.
        if ((kept[0] as ArrayBuffer).byteLength >= buffer.byteLength) {
          releaseMemory(whole);
          return;
        }
        releaseMemory(new Uint8Array(kept.shift() as ArrayBuffer));
      }
      kept.push(buffer);
      kept.sort((a, b) => a.byteLength - b.byteLength);
    },
    get kept() {
      return kept.length;
    },
  };
}

/** The process's pool for shared-memory reads (bitmap-input.ts takes, the service's release gives back). */
export const sharedMemoryPixelPool: PixelBufferPool = createPixelBufferPool();
