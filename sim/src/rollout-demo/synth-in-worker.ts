/**
 * The pipeline stack's template and its state machine definition, synthesized by the CDK app in a worker
 * thread: the synth is synchronous and takes seconds, and the demo has other work meanwhile (packaging the
 * agent, starting the world) that a second core can do at the same time.
 */
import { Worker } from 'node:worker_threads';

export interface Synthesized {
  readonly template: unknown;
  readonly definition: unknown;
}

export function synthInWorker(): Promise<Synthesized> {
  const worker = new Worker(new URL('./synth-worker.ts', import.meta.url));
  return new Promise<Synthesized>((resolve, reject) => {
    worker.once('message', (message: Synthesized) => {
      resolve(message);
      void worker.terminate();
    });
    worker.once('error', (err) =>
      reject(new Error(`synthesizing the pipeline stack in a worker thread failed: ${err.message}`, { cause: err })),
    );
    worker.once('exit', (code) =>
      reject(new Error(`the synth worker thread exited (code ${code}) before it sent the pipeline template`)),
    );
  });
}
