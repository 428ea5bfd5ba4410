/**
 * The Detector with its onnxruntime session in a worker thread (one per detector, so one per model):
 * onnxruntime-node runs a session synchronously on the thread that calls session.run, which would stop
 * the agent's main thread (preparing the next image, decoding, hashing, the outbox, MQTT) for the whole
 * inference. The checks are the in-thread detector's (onnx-session.ts, run in the worker), and so are
 * the refusals: the worker's errors come back as ModelIntegrityError with the same code.
 *
 * Data: the model bytes go to the worker as a copy (the bundle keeps its own); each input tensor is
 * handed over (its buffer transferred, so the caller's tensor is detached: see Detector.run), or copied
 * when it is a view into a larger or shared buffer; the worker frees it after the run. Each output
 * comes back transferred. The worker keeps the process alive only while a load, a run or close is
 * under way.
 * A worker that dies refuses every pending and later run with DetectorError DETECTOR_WORKER_FAILED;
 * after close(), run() is refused with ModelIntegrityError MODEL_RETIRED.
 *
 * Priority (`pipelineNice` above 0, Linux): once the worker is ready, every other thread of the process
 * is lowered to that nice value and the worker's thread is kept where it is (thread-priority.ts), until
 * the detector closes or its worker dies.
 */
import { Worker } from 'node:worker_threads';
import type { RawOutput, VerifiedBundle } from '../core/types.ts';
import { DetectorError, ModelIntegrityError } from '../errors.ts';
import type { Detector, DetectorThreads } from '../ports.ts';
import { ownsWholeBuffer } from '../release-memory.ts';
import { type OnnxSessionSettings, sessionOptionsFor } from './onnx-session.ts';
import {
  type FromSessionWorker,
  fromWire,
  SESSION_WORKER_BUNDLE_NAME,
  type SessionWorkerInit,
  type ToSessionWorker,
} from './onnx-worker-protocol.ts';
import { checkNice, type KeptThread, keepThreadFirst } from './thread-priority.ts';

/** The worker script: the TypeScript source beside this file, or the bundled .js beside the bundle. */
export function sessionWorkerUrl(): URL {
  return import.meta.url.endsWith('.ts')
    ? new URL('./onnx-session-worker.ts', import.meta.url)
    : new URL(`./${SESSION_WORKER_BUNDLE_NAME}.js`, import.meta.url);
}

/** The start of the worker thread's name (`onnx <model> <version>`; the OS keeps its first 15 characters). */
export const SESSION_THREAD_NAME_PREFIX = 'onnx ';

interface Pending {
  resolve(out: RawOutput): void;
  reject(err: Error): void;
}

export interface WorkerDetectorOptions {
  /** The worker script (tests start other ones). Default: sessionWorkerUrl(). */
  readonly workerUrl?: URL;
  /** Nice value (0-19) for the process's other threads while this detector serves; 0 (default): unchanged. */
  readonly pipelineNice?: number;
}

export async function loadWorkerDetector(
  bundle: VerifiedBundle,
  settings: OnnxSessionSettings,
  options: WorkerDetectorOptions = {},
): Promise<Detector> {
  const m = bundle.manifest;
  const workerUrl = options.workerUrl ?? sessionWorkerUrl();
  const pipelineNice = options.pipelineNice ?? 0;
  // RangeErrors for a bad nice value or thread counts, before any thread starts.
  checkNice('loadDetector pipelineNice', pipelineNice);
  sessionOptionsFor(settings);
  const label = `${m.name} ${m.version}`;
  const modelBytes = bundle.modelBytes.slice();
  const init: SessionWorkerInit = { manifest: m, modelPath: bundle.modelPath, modelBytes, settings };
  const worker = new Worker(workerUrl, {
    workerData: init,
    transferList: [modelBytes.buffer],
    // Not the parent's --import/--require hooks (the benchmark's memory probe would run twice).
    execArgv: [],
    name: `${SESSION_THREAD_NAME_PREFIX}${label}`,
  });

  const pending = new Map<number, Pending>();
  const inputSize = m.input.shape.reduce((a, b) => a * b, 1);
  let nextId = 1;
  let closing = false;
  let death: Error | undefined;
  let settleLoad: { resolve(threadId: number | undefined): void; reject(err: Error): void } | undefined;
  let priority: KeptThread | undefined;
  const loaded = new Promise<number | undefined>((resolve, reject) => {
    settleLoad = { resolve, reject };
  });
  let closedSignal: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => {
    closedSignal = resolve;
  });
  const retired = () => new ModelIntegrityError('MODEL_RETIRED', `${label} was closed; read the current model again`);
  const keepAlive = () => {
    if (closing || settleLoad || pending.size > 0) worker.ref();
    else worker.unref();
  };

  const die = (what: string, cause?: unknown) => {
    if (death) return;
    death = closing
      ? retired()
      : new DetectorError(
          'DETECTOR_WORKER_FAILED',
          `the onnxruntime worker thread of ${label} (${bundle.modelPath}) ${what}; its runs are refused, load the model again`,
          { cause },
        );
    settleLoad?.reject(death);
    settleLoad = undefined;
    priority?.release();
    for (const p of pending.values()) p.reject(death);
    pending.clear();
    closedSignal();
  };
  worker.on('error', (err) => die(`failed: ${err.message}`, err));
  worker.on('messageerror', (err) => die(`sent a message that cannot be read: ${err.message}`, err));
  worker.on('exit', (code) => die(`exited with code ${code}`));
  worker.on('message', (message: FromSessionWorker) => {
    switch (message.type) {
      case 'ready':
        settleLoad?.resolve(message.threadId);
        settleLoad = undefined;
        break;
      case 'refused':
        settleLoad?.reject(fromWire(message.error));
        settleLoad = undefined;
        break;
      case 'result':
        pending.get(message.id)?.resolve({ data: message.data, dims: message.dims });
        pending.delete(message.id);
        break;
      case 'failed':
        pending.get(message.id)?.reject(fromWire(message.error));
        pending.delete(message.id);
        break;
      case 'closed':
        closedSignal();
        break;
    }
    keepAlive();
  });

  let threadId: number | undefined;
  try {
    threadId = await loaded;
  } catch (err) {
    closing = true;
    await worker.terminate();
    throw err;
  }
  keepAlive();
  priority = death ? undefined : keepThreadFirst(threadId, pipelineNice);
  const threads: DetectorThreads = {
    ...(threadId === undefined ? {} : { inferenceThreadId: threadId }),
    othersNice: priority?.supported ? pipelineNice : 0,
    ...(priority?.niceOfKept === undefined ? {} : { inferenceNice: priority.niceOfKept }),
    prioritySupported: priority?.supported ?? false,
  };

  let closeDone: Promise<void> | undefined;
  return {
    manifest: m,
    model: { name: m.name, version: m.version, sha256: bundle.modelSha256, precision: m.precision },
    threads,
    async run(tensor: Float32Array): Promise<RawOutput> {
      if (closing) throw retired();
      if (tensor.length !== inputSize) {
        throw new RangeError(
          `input tensor has ${tensor.length} values, ${m.name} expects ${inputSize} (${m.input.shape.join('x')})`,
        );
      }
      if (death) throw death;
      // Handed over as it is; a view into a larger or shared buffer is copied (the rest is not ours).
      const input = ownsWholeBuffer(tensor) ? tensor : new Float32Array(tensor);
      const id = nextId++;
      return new Promise<RawOutput>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        keepAlive();
        const message: ToSessionWorker = { type: 'run', id, tensor: input };
        worker.postMessage(message, [input.buffer as ArrayBuffer]);
      });
    },
    close() {
      closeDone ??= (async () => {
        closing = true;
        priority?.release();
        keepAlive();
        if (!death) {
          const message: ToSessionWorker = { type: 'close' };
          worker.postMessage(message);
          await closed;
        }
        await worker.terminate();
      })();
      return closeDone;
    },
  };
}
