/**
 * The Detector with its onnxruntime session in a worker thread (one per detector, so one per model):
 * onnxruntime-node runs a session synchronously on the thread that calls session.run, which would stop
 * the agent's main thread (preparing the next image, decoding, hashing, the outbox, MQTT) for the whole
 * inference. The checks are the in-thread detector's (onnx-session.ts, run in the worker), and so are
 * the refusals: the worker's errors come back as ModelIntegrityError with the same code.
 *
 * Data: the model bytes go to the worker as a copy (the bundle keeps its own); each input tensor is
 * handed over (its buffer transferred, so the caller's tensor is detached: see Detector.run), or copied
 * when it is a view into a larger or shared buffer; it comes back with the output and goes to the
 * input tensor pool (input-tensor-pool.ts) for the preparer to fill again. Each output comes back
 * transferred. The worker keeps the process alive only while a load, a run or close is
 * under way.
 * A worker that dies refuses every pending and later run with DetectorError DETECTOR_WORKER_FAILED;
 * after close(), run() is refused with ModelIntegrityError MODEL_RETIRED.
 *
 * Watchdog (`runTimeoutMs`): while runs are pending and the worker has answered nothing for that long,
 * the worker counts as hung (a session stuck in onnxruntime, a thread that never answers). Its pending
 * runs are refused with DetectorError DETECTOR_RUN_TIMEOUT, a new worker loads the same model bytes,
 * and later runs go to it. The hung thread is abandoned, not terminated (onnx-abandoned-workers.ts says
 * why, and how many may be out before the next hang fails the detector with DETECTOR_WORKER_FAILED).
 * The caller decides whether to run the image again (the agent does, once).
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
import { inputTensorPool } from './input-tensor-pool.ts';
import { createAbandonedWorkers, MAX_ABANDONED } from './onnx-abandoned-workers.ts';
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
  /**
   * Watchdog: a worker that answers nothing for this long while runs are pending is restarted, its runs
   * refused with DETECTOR_RUN_TIMEOUT. Default 0: no watchdog.
   */
  readonly runTimeoutMs?: number;
  /** Told when the watchdog restarted a hung worker (for logs and counters). */
  readonly onRestart?: (info: { readonly label: string; readonly pendingRuns: number }) => void;
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
  const runTimeoutMs = options.runTimeoutMs ?? 0;
  if (!(Number.isSafeInteger(runTimeoutMs) && runTimeoutMs >= 0)) {
    throw new RangeError(`loadWorkerDetector runTimeoutMs must be an integer >= 0, got ${runTimeoutMs}`);
  }
  const spawn = () => {
    const modelBytes = bundle.modelBytes.slice();
    const init: SessionWorkerInit = { manifest: m, modelPath: bundle.modelPath, modelBytes, settings };
    return new Worker(workerUrl, {
      workerData: init,
      transferList: [modelBytes.buffer],
      // Not the parent's --import/--require hooks (the benchmark's memory probe would run twice).
      execArgv: [],
      name: `${SESSION_THREAD_NAME_PREFIX}${label}`,
    });
  };
  let worker = spawn();

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
  let watchdog: NodeJS.Timeout | undefined;
  const keepAlive = () => {
    if (hungForGood) return;
    if (closing || settleLoad || pending.size > 0) worker.ref();
    else worker.unref();
  };
  /** (Re)armed on every run sent and every answer; fires when pending runs saw no answer for runTimeoutMs. */
  const armWatchdog = () => {
    if (watchdog) clearTimeout(watchdog);
    watchdog = undefined;
    // Not while a restarted worker loads its session (loading is not an answer that is late).
    if (runTimeoutMs > 0 && pending.size > 0 && !death && !closing && !restartLoad) {
      watchdog = setTimeout(() => restartHung(), runTimeoutMs);
      watchdog.unref();
    }
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
    restartLoad?.reject(death);
    restartLoad = undefined;
    if (watchdog) clearTimeout(watchdog);
    priority?.release();
    for (const p of pending.values()) p.reject(death);
    pending.clear();
    closedSignal();
  };
  const abandoned = createAbandonedWorkers();
  /** The current worker hung and was abandoned (no restart left): never ref'd or terminated again. */
  let hungForGood = false;
  /** A restarted worker's load under way (close waits for it: the worker listens once it is loaded). */
  let restarting: Promise<unknown> | undefined;
  /** Runs sent while a restarted worker loads: posted once it is ready. */
  const held: Extract<ToSessionWorker, { type: 'run' }>[] = [];
  /** A restarted worker's load: its thread is kept first like the first one's; a refusal ends the detector. */
  let restartLoad: { resolve(threadId: number | undefined): void; reject(err: Error): void } | undefined;
  const listen = (w: Worker) => {
    // Events of a worker the watchdog replaced are ignored (its exit is expected).
    w.on('error', (err) => w === worker && die(`failed: ${err.message}`, err));
    w.on('messageerror', (err) => w === worker && die(`sent a message that cannot be read: ${err.message}`, err));
    w.on('exit', (code) => w === worker && die(`exited with code ${code}`));
    w.on('message', (message: FromSessionWorker) => {
      if (w === worker) onMessage(message);
    });
  };
  const onMessage = (message: FromSessionWorker) => {
    switch (message.type) {
      case 'ready':
        settleLoad?.resolve(message.threadId);
        settleLoad = undefined;
        restartLoad?.resolve(message.threadId);
        restartLoad = undefined;
        // Runs that came while the restarted worker loaded go to it now that it listens.
        for (const q of held.splice(0)) worker.postMessage(q, [q.tensor.buffer as ArrayBuffer]);
        break;
      case 'refused':
        settleLoad?.reject(fromWire(message.error));
        settleLoad = undefined;
        if (restartLoad) die(`could not load the model again after a restart: ${message.error.message}`);
        restartLoad = undefined;
        break;
      case 'result':
        if (message.input) inputTensorPool.give(message.input);
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
    armWatchdog();
    keepAlive();
  };
  listen(worker);

  /** The watchdog fired: refuse the pending runs, abandon the hung thread, start a new one. */
  const restartHung = () => {
    watchdog = undefined;
    if (death || closing || pending.size === 0) return;
    const hung = new DetectorError(
      'DETECTOR_RUN_TIMEOUT',
      `the onnxruntime worker thread of ${label} answered nothing for ${runTimeoutMs} ms with ${pending.size} run(s) pending; it was restarted`,
    );
    const pendingRuns = pending.size;
    for (const p of pending.values()) p.reject(hung);
    pending.clear();
    priority?.release();
    priority = undefined;
    if (abandoned.size >= MAX_ABANDONED) {
      die(`hung with ${abandoned.size} earlier hung threads not back (no answer for ${runTimeoutMs} ms each)`);
      hungForGood = true;
      abandoned.abandon(worker);
      return;
    }
    abandoned.abandon(worker);
    worker = spawn();
    listen(worker);
    keepAlive();
    restarting = new Promise<number | undefined>((resolve, reject) => {
      restartLoad = { resolve, reject };
    }).then(
      (id) => {
        if (!death && !closing) priority = keepThreadFirst(id, pipelineNice);
        keepAlive();
      },
      () => undefined,
    );
    options.onRestart?.({ label, pendingRuns });
  };

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
        const message = { type: 'run', id, tensor: input } as const;
        if (restartLoad) held.push(message);
        else worker.postMessage(message, [input.buffer as ArrayBuffer]);
        if (pending.size === 1) armWatchdog(); // else armed already, by the oldest run or the last answer
      });
    },
    close() {
      closeDone ??= (async () => {
        closing = true;
        if (watchdog) clearTimeout(watchdog);
        priority?.release();
        keepAlive();
        if (restartLoad) await restarting;
        if (!death) {
          const message: ToSessionWorker = { type: 'close' };
          worker.postMessage(message);
          await closed;
        }
        if (!hungForGood) await worker.terminate();
        if (abandoned.size > 0) await abandoned.settle();
      })();
      return closeDone;
    },
  };
}
