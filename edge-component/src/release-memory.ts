/**
 * Frees the memory behind a large typed array or Buffer at once, when its owner knows it is done with it.
 *
 * A decoded image (3 bytes per pixel: about 6 MB for 2 MP) and a model input tensor (float32: 7.7 MB
 * at 800x800) per image are otherwise freed only when V8 next collects their wrappers, and V8 lets such
 * external memory grow by about 64 MB over what was live at the last collection before it collects,
 * so a flood of images raises the agent's peak memory. `ArrayBuffer.transfer(0)` detaches the buffer, which releases its
 * backing store now (the agent's memory figures: docs/benchmarks.md).
 *
 * Only a view that spans its whole buffer is released: a small Node Buffer can be a slice of a shared
 * pool, which must stay. A detached buffer (already released, or transferred to a worker) is left alone.
 */
export function releaseMemory(view: ArrayBufferView | undefined): void {
  if (view === undefined || !ownsWholeBuffer(view) || view.buffer.detached) return;
  view.buffer.transfer(0);
}

/**
 * A view over the whole of a plain (not shared) ArrayBuffer: its owner may release or transfer the
 * buffer without taking anything from another view.
 */
export function ownsWholeBuffer(view: ArrayBufferView): view is ArrayBufferView & { buffer: ArrayBuffer } {
  const { buffer } = view;
  return buffer instanceof ArrayBuffer && view.byteOffset === 0 && view.byteLength === buffer.byteLength;
}

/** The view's buffer was released or transferred away (it reads as empty now). */
export function isDetached(view: ArrayBufferView): boolean {
  return view.buffer instanceof ArrayBuffer && view.buffer.detached;
}
