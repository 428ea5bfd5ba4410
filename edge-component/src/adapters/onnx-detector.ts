/**
 * Detector on onnxruntime-node (CPU): one InferenceSession per model, created from the verified bytes
 * (VerifiedBundle.modelBytes, never the file again) and checked against the manifest before it serves
 * (onnx-session.ts: MODEL_LOAD_FAILED, MODEL_SHAPE_MISMATCH, MODEL_PROBE_NOT_FINITE). After close(),
 * run() is refused with MODEL_RETIRED.
 *
 * Where the session runs: by default in the calling thread, where onnxruntime-node's session.run blocks
 * it for the whole inference; `worker: true` runs it in a worker thread of its own
 * (onnx-worker-detector.ts). The agent's config (inference.detectorThread) defaults to the worker: with
 * the next image's tensor queued at the worker, the agent handles more images per second for some
 * more memory (figures: docs/benchmarks.md).
 */
import type { RawOutput, VerifiedBundle } from '../core/types.ts';
import { ModelIntegrityError } from '../errors.ts';
import type { Detector } from '../ports.ts';
import { type OnnxSessionSettings, openCheckedSession } from './onnx-session.ts';
import { loadWorkerDetector } from './onnx-worker-detector.ts';

export { sessionOptionsFor } from './onnx-session.ts';

export interface OnnxDetectorOptions extends OnnxSessionSettings {
  /** Run the session in a worker thread of its own. Default false: in the calling thread. */
  readonly worker?: boolean;
  /**
   * With `worker`: the nice value (0-19) the process's other threads are lowered to while this detector
   * serves, so the inference thread keeps its core (thread-priority.ts). Default 0: unchanged.
   */
  readonly pipelineNice?: number;
}

/** The session in the calling thread: every run blocks it until the inference is done. */
async function loadInThreadDetector(bundle: VerifiedBundle, settings: OnnxSessionSettings): Promise<Detector> {
  const m = bundle.manifest;
  const session = await openCheckedSession(bundle, settings);
  const inputSize = m.input.shape.reduce((a, b) => a * b, 1);
  let closed = false;
  return {
    manifest: m,
    model: { name: m.name, version: m.version, sha256: bundle.modelSha256, precision: m.precision },
    async run(tensor: Float32Array): Promise<RawOutput> {
      if (closed) {
        throw new ModelIntegrityError(
          'MODEL_RETIRED',
          `${m.name} ${m.version} was closed; read the current model again`,
        );
      }
      if (tensor.length !== inputSize) {
        throw new RangeError(
          `input tensor has ${tensor.length} values, ${m.name} expects ${inputSize} (${m.input.shape.join('x')})`,
        );
      }
      return session.run(tensor);
    },
    async close() {
      if (closed) return;
      closed = true;
      await session.release();
    },
  };
}

export async function loadDetector(bundle: VerifiedBundle, options: OnnxDetectorOptions): Promise<Detector> {
  const settings: OnnxSessionSettings = {
    intraOpThreads: options.intraOpThreads,
    interOpThreads: options.interOpThreads,
    allowSpinning: options.allowSpinning ?? false,
  };
  return options.worker === true
    ? loadWorkerDetector(bundle, settings, { pipelineNice: options.pipelineNice ?? 0 })
    : loadInThreadDetector(bundle, settings);
}
