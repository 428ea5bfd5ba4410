/**
 * The hung onnxruntime worker threads the detector's watchdog gave up on (onnx-worker-detector.ts).
 * A hung thread is abandoned, not terminated: terminating a thread that holds an onnxruntime session
 * aborts the whole process (a Napi::Error thrown during its teardown, seen here), and a thread stuck in
 * native code cannot be stopped anyway. It is asked to close, and terminated once it answered (its
 * session released); close() gives it `ABANDONED_CLOSE_MS`. With `MAX_ABANDONED` hung threads not yet
 * back, the next hang fails the detector (DETECTOR_WORKER_FAILED) instead of leaking one more thread.
 */
import type { Worker } from 'node:worker_threads';
import type { FromSessionWorker, ToSessionWorker } from './onnx-worker-protocol.ts';

/** Hung threads not yet back (each keeps its session) before a further hang fails the detector. */
export const MAX_ABANDONED = 2;
/** How long close() waits for abandoned workers to release their sessions. */
const ABANDONED_CLOSE_MS = 5000;

export interface AbandonedWorkers {
  /** Hung threads asked to close and not back yet. */
  readonly size: number;
  /** Asks a hung worker to close (it no longer keeps the process alive); terminated once it closed. */
  abandon(w: Worker): void;
  /** Waits for every abandoned worker to be back, at most ABANDONED_CLOSE_MS. */
  settle(): Promise<void>;
}

export function createAbandonedWorkers(): AbandonedWorkers {
  /** Hung workers asked to close; each resolves when it closed (then it is terminated) or gave up. */
  const abandoned = new Set<Promise<void>>();
  return {
    get size() {
      return abandoned.size;
    },
    abandon(w) {
      w.unref();
      const done = new Promise<void>((resolve) => {
        w.on('message', (message: FromSessionWorker) => {
          if (message.type === 'closed') void w.terminate().finally(resolve);
        });
        w.once('exit', () => resolve());
      });
      abandoned.add(done);
      void done.then(() => abandoned.delete(done));
      const message: ToSessionWorker = { type: 'close' };
      w.postMessage(message);
    },
    async settle() {
      await Promise.race([Promise.all(abandoned), new Promise((r) => setTimeout(r, ABANDONED_CLOSE_MS).unref())]);
    },
  };
}
