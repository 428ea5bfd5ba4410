/**
 * Model input tensors used again instead of allocated per image. A new float32 tensor (7.7 MB at
 * 800 x 800) is zeroed memory that the kernel maps in page by page and V8 frees only later; filling
 * one that is already mapped costs a fraction of that (figures: docs/benchmarks.md).
 *
 * Safety by construction: a tensor comes back to the pool only from the worker detector, which gets
 * each input back from its worker thread after the run (onnx-worker-detector.ts). The caller's view of
 * that tensor was detached when it was handed to the worker, so nothing else can read or write the
 * buffer the pool keeps. The preparer takes a tensor and overwrites every value of it.
 *
 * Bounded: at most POOLED_TENSORS tensors, all of one length (the serving model's input); a tensor of
 * another length (a model with another input) empties the pool first.
 */

/** Tensors kept: the images in flight between the preparer and the worker (intake ahead + decide ahead). */
export const POOLED_TENSORS = 4;

export interface InputTensorPool {
  /** A tensor of `length` values, from the pool when one is there (its values are stale: overwrite them all). */
  take(length: number): Float32Array;
  /** Keeps a tensor nobody else holds, for a later take. */
  give(tensor: Float32Array): void;
  readonly size: number;
}

export function createInputTensorPool(max = POOLED_TENSORS): InputTensorPool {
  const kept: Float32Array[] = [];
  return {
    take(length) {
      const t = kept.pop();
      return t !== undefined && t.length === length ? t : new Float32Array(length);
    },
    give(tensor) {
      if (tensor.buffer.byteLength !== tensor.byteLength || tensor.byteOffset !== 0) return;
      if (kept.length > 0 && (kept[0] as Float32Array).length !== tensor.length) kept.length = 0;
      if (kept.length < max) kept.push(tensor);
    },
    get size() {
      return kept.length;
    },
  };
}

/** The process's pool: the preparer takes from it, the worker detector gives back to it. */
export const inputTensorPool: InputTensorPool = createInputTensorPool();
