import { describe, expect, it } from 'vitest';
import { isDetached, ownsWholeBuffer, releaseMemory } from '../src/release-memory.ts';

describe('releaseMemory', () => {
  it('frees the buffer behind a typed array that spans it', () => {
    const t = new Float32Array(3 * 800 * 800);
    releaseMemory(t);
    expect(t.buffer.detached).toBe(true);
    expect(t.length).toBe(0);
  });

  it('frees a Buffer that owns its memory (as sharp returns decoded pixels)', () => {
    const b = Buffer.alloc(1 << 20);
    releaseMemory(b);
    expect(b.buffer.detached).toBe(true);
  });

  it('leaves a view into a larger buffer (a pooled Buffer, a subarray) intact', () => {
    const pooled = Buffer.from('abc');
    expect(pooled.buffer.byteLength).toBeGreaterThan(pooled.byteLength);
    releaseMemory(pooled);
    expect(pooled.toString()).toBe('abc');
    const whole = new Uint8Array(16).fill(7);
    releaseMemory(whole.subarray(4, 8));
    expect(whole.buffer.detached).toBe(false);
    expect(whole[0]).toBe(7);
  });

  it('does nothing for undefined or an already released buffer', () => {
    const t = new Float32Array(8);
    releaseMemory(t);
    expect(() => releaseMemory(t)).not.toThrow();
    expect(() => releaseMemory(undefined)).not.toThrow();
  });

  it('tells a view over its whole plain buffer from a part of one or a shared one, and a released one', () => {
    const t = new Float32Array(8);
    expect(ownsWholeBuffer(t)).toBe(true);
    expect(ownsWholeBuffer(t.subarray(1))).toBe(false);
    expect(ownsWholeBuffer(new Float32Array(new SharedArrayBuffer(32)))).toBe(false);
    expect(isDetached(t)).toBe(false);
    releaseMemory(t);
    expect(isDetached(t)).toBe(true);
    expect(isDetached(new Float32Array(new SharedArrayBuffer(32)))).toBe(false);
  });
});
