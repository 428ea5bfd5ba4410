/** The input tensor pool: tensors given back are taken again, bounded, one length at a time. */
import { describe, expect, it } from 'vitest';
import { createInputTensorPool } from '../../src/adapters/input-tensor-pool.ts';

describe('createInputTensorPool', () => {
  it('gives back a tensor it was given, and a new one when empty', () => {
    const pool = createInputTensorPool(2);
    const t = pool.take(6);
    expect(t).toHaveLength(6);
    pool.give(t);
    expect(pool.take(6)).toBe(t);
    expect(pool.take(6)).not.toBe(t);
  });

  it('keeps at most its bound, and only tensors of the latest length', () => {
    const pool = createInputTensorPool(2);
    for (let i = 0; i < 3; i += 1) pool.give(new Float32Array(6));
    expect(pool.size).toBe(2);
    pool.give(new Float32Array(8));
    expect(pool.size).toBe(1);
    expect(pool.take(6)).toHaveLength(6);
  });

  it("does not keep a view into a larger buffer (the rest is not the pool's)", () => {
    const pool = createInputTensorPool(2);
    pool.give(new Float32Array(new ArrayBuffer(64), 0, 6));
    expect(pool.size).toBe(0);
  });
});
