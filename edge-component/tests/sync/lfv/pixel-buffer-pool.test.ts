import { describe, expect, it } from 'vitest';
import { isDetached } from '../../../src/release-memory.ts';
import { createPixelBufferPool } from '../../../src/sync/lfv/pixel-buffer-pool.ts';

describe('pixel buffer pool', () => {
  it('gives a buffer back for the next request of the same or a smaller size', () => {
    const pool = createPixelBufferPool(2, 1024);
    const first = pool.take(600);
    expect(first.length).toBe(600);
    pool.give(first);
    expect(pool.kept).toBe(1);
    const again = pool.take(500);
    expect(again.length).toBe(500);
    expect(again.buffer).toBe(first.buffer);
    expect(pool.kept).toBe(0);
  });

  it('allocates anew when no kept buffer is large enough, and keeps the larger ones when full', () => {
    const pool = createPixelBufferPool(2, 1024);
    const small = pool.take(100);
    const middle = pool.take(300);
    const large = pool.take(900);
    pool.give(small);
    pool.give(middle);
    pool.give(large); // full: the smallest goes
    expect(pool.kept).toBe(2);
    expect(isDetached(small)).toBe(true);
    expect(pool.take(800).buffer).toBe(large.buffer);
    expect(pool.take(200).buffer).toBe(middle.buffer);
  });

  it('frees a buffer over the size limit instead of keeping it, and ignores views it did not lend', () => {
    const pool = createPixelBufferPool(2, 1024);
    const huge = pool.take(4096);
    pool.give(huge);
    expect(pool.kept).toBe(0);
    expect(isDetached(huge)).toBe(true);
    pool.give(new Uint8Array(new ArrayBuffer(512), 16, 100)); // a view inside another buffer
    expect(pool.kept).toBe(0);
    const lent = pool.take(64);
    pool.give(lent);
    pool.give(lent); // twice: kept once
    expect(pool.kept).toBe(1);
  });
});
