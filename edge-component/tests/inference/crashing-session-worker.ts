/**
 * Test support: the real session worker (src/adapters/onnx-session-worker.ts) with a listener in front
 * of it that makes the worker thread die on request, to show what the detector does then. A run whose
 * first input value is -1 throws an uncaught error in the worker; -2 exits the worker with code 3.
 * Registered before the real worker's listener, so the run never reaches onnxruntime.
 */
import { parentPort } from 'node:worker_threads';

parentPort?.on('message', (message: { type: string; tensor?: Float32Array }) => {
  if (message.type !== 'run' || !message.tensor) return;
  if (message.tensor[0] === -1) throw new Error('crash requested by the test');
  if (message.tensor[0] === -2) process.exit(3);
});

await import('../../src/adapters/onnx-session-worker.ts');
