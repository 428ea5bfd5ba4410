/**
 * Test support: the real session worker (src/adapters/onnx-session-worker.ts) with a listener in front
 * of it that makes the worker thread hang on request, as a session stuck in onnxruntime would: the
 * thread is blocked (Atomics.wait, no CPU) and answers nothing for `$EDGEQC_TEST_HANG_MS` (default
 * 4000 ms), then carries on. A run whose first input value is -3 hangs every time; -4 hangs only when
 * the marker file `$EDGEQC_TEST_HANG_ONCE` exists, and removes it first (the restarted worker answers).
 * Registered before the real worker's listener, so a hanging run reaches onnxruntime only afterwards.
 */
import { existsSync, unlinkSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';

const block = () => {
  const ms = Number(process.env.EDGEQC_TEST_HANG_MS ?? 4000);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

parentPort?.on('message', (message: { type: string; tensor?: Float32Array }) => {
  if (message.type !== 'run' || !message.tensor) return;
  if (message.tensor[0] === -3) block();
  const marker = process.env.EDGEQC_TEST_HANG_ONCE;
  if (message.tensor[0] === -4 && marker && existsSync(marker)) {
    unlinkSync(marker);
    block();
  }
});

await import('../../src/adapters/onnx-session-worker.ts');
