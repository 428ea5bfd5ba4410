/**
 * The detector's worker thread (started by onnx-worker-detector.ts; bundled as onnx-session-worker.js
 * beside main.js): opens one checked session from workerData (onnx-session.ts, the same checks as in the
 * main thread), answers `ready` or `refused`, then runs tensors as they come and sends each output back
 * in a transfer list. onnxruntime-node's session.run blocks the thread it runs on; here that is this
 * thread, so the agent's main thread keeps preparing, decoding and publishing meanwhile. The input
 * tensor goes back with the output (transferred), for the main thread to fill again.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { releaseMemory } from '../release-memory.ts';
import { openCheckedSession } from './onnx-session.ts';
import {
  type FromSessionWorker,
  type SessionWorkerInit,
  type ToSessionWorker,
  toWire,
} from './onnx-worker-protocol.ts';
import { currentThreadId } from './thread-priority.ts';

const port = parentPort;
if (!port) throw new Error('onnx-session-worker.ts runs as a worker thread (node:worker_threads), not as a script');
const send = (message: FromSessionWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

const init = workerData as SessionWorkerInit;
let session: Awaited<ReturnType<typeof openCheckedSession>> | undefined;
try {
  session = await openCheckedSession(init, init.settings);
} catch (err) {
  send({ type: 'refused', error: toWire(err) });
} finally {
  // onnxruntime parsed the model into its own memory: this thread's copy of the bytes (as large as
  // model.onnx) is not needed any more, whether the session was created or refused.
  releaseMemory(init.modelBytes);
}

if (session) {
  const open = session;
  const inFlight = new Set<Promise<void>>();
  port.on('message', (message: ToSessionWorker) => {
    if (message.type === 'run') {
      const { id, tensor } = message;
      const done = open.run(tensor).then(
        (out) => {
          // onnxruntime-node gives each output its own ArrayBuffer; a view into a larger one is copied.
          const whole = out.data.byteOffset === 0 && out.data.byteLength === out.data.buffer.byteLength;
          const data = whole ? out.data : out.data.slice();
          // The input goes back too, for the main thread's tensor pool (input-tensor-pool.ts).
          send({ type: 'result', id, data, dims: [...out.dims], input: tensor }, [
            data.buffer as ArrayBuffer,
            tensor.buffer as ArrayBuffer,
          ]);
        },
        (err: unknown) => {
          releaseMemory(tensor); // the input is this thread's, and done with
          send({ type: 'failed', id, error: toWire(err) });
        },
      );
      inFlight.add(done);
      void done.finally(() => inFlight.delete(done));
      return;
    }
    void Promise.allSettled([...inFlight])
      .then(() => open.release())
      .finally(() => {
        send({ type: 'closed' });
        port.close();
      });
  });
  const threadId = currentThreadId();
  send(threadId === undefined ? { type: 'ready' } : { type: 'ready', threadId });
}
