/**
 * Detector on onnxruntime-node (CPU): one InferenceSession per model, created from the verified bytes
 * (VerifiedBundle.modelBytes, never the file again), graph optimisations on, thread counts from the
 * config (0: onnxruntime chooses).
 *
 * Refused with ModelIntegrityError before the detector serves:
 *   MODEL_LOAD_FAILED     onnxruntime cannot create a session from the bytes;
 *   MODEL_SHAPE_MISMATCH  the model's only input is not the manifest's (name, float32, [1,3,H,W]), or
 *                         its output is not (name, float32, [1, 4 + classes, anchors]), declared or as
 *                         produced by the probe;
 *   MODEL_PROBE_NOT_FINITE the probe inference (a uniform grey input; it is also the warm-up) gives NaN/Inf.
 * After close(), run() is refused with MODEL_RETIRED.
 *
 * Memory (measured, INT8 demo model, 2 threads, RSS after 20 / 100 / 500 runs, two runs each):
 * arena on + memory patterns on (onnxruntime's defaults) 137 / 138 / 152 MB; arena on, patterns off
 * 129 / 130 / 144 MB; arena off: 134-142 / 138-159 / 150-184 MB (glibc malloc keeps what the arena
 * would have reused). FP32 after 200 runs: 185 MB defaults, 161 MB patterns off. Run time did not
 * change measurably (noise of a shared CPU). So: CPU arena on, memory patterns off.
 */
import * as ort from 'onnxruntime-node';
import type { VerifiedBundle } from '../core/types.ts';
import { ModelIntegrityError } from '../errors.ts';
import type { Detector } from '../ports.ts';

export interface OnnxDetectorOptions {
  /** Threads inside one operator; 0: onnxruntime chooses (one per core). */
  readonly intraOpThreads: number;
  /** Threads across operators; 0: onnxruntime chooses. */
  readonly interOpThreads: number;
}

/** The session options used for every model (exported for the benchmark's raw-session baseline). */
export function sessionOptionsFor(options: OnnxDetectorOptions): ort.InferenceSession.SessionOptions {
  for (const key of ['intraOpThreads', 'interOpThreads'] as const) {
    if (!Number.isSafeInteger(options[key]) || options[key] < 0) {
      throw new RangeError(`loadDetector: ${key} must be an integer >= 0, got ${options[key]}`);
    }
  }
  return {
    intraOpNumThreads: options.intraOpThreads,
    interOpNumThreads: options.interOpThreads,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    enableCpuMemArena: true,
    enableMemPattern: false,
  };
}

const shapeText = (shape: readonly (number | string)[]) => `[${shape.join(',')}]`;

/** Declared dims agree with the manifest's: equal numbers; a symbolic dim (string) is checked by the probe. */
function sameShape(declared: readonly (number | string)[], expected: readonly number[]): boolean {
  return declared.length === expected.length && declared.every((d, i) => typeof d === 'string' || d === expected[i]);
}

function checkSignature(session: ort.InferenceSession, bundle: VerifiedBundle): void {
  const m = bundle.manifest;
  const problems: string[] = [];
  if (session.inputNames.length !== 1 || session.inputNames[0] !== m.input.name) {
    problems.push(`inputs [${session.inputNames.join(', ')}], the manifest says [${m.input.name}]`);
  }
  if (!session.outputNames.includes(m.output.name)) {
    problems.push(`outputs [${session.outputNames.join(', ')}] lack the manifest's ${m.output.name}`);
  }
  const input = session.inputMetadata.find((v) => v.name === m.input.name);
  if (input?.isTensor && (input.type !== 'float32' || !sameShape(input.shape, m.input.shape))) {
    problems.push(
      `input ${m.input.name} is ${input.type} ${shapeText(input.shape)}, the manifest says float32 ${shapeText(m.input.shape)}`,
    );
  }
  const output = session.outputMetadata.find((v) => v.name === m.output.name);
  if (output?.isTensor && (output.type !== 'float32' || !sameShape(output.shape, m.output.shape))) {
    problems.push(
      `output ${m.output.name} is ${output.type} ${shapeText(output.shape)}, the manifest says float32 ${shapeText(m.output.shape)} (${m.classes.length} classes)`,
    );
  }
  if (problems.length > 0) {
    throw new ModelIntegrityError('MODEL_SHAPE_MISMATCH', `${bundle.modelPath}: ${problems.join('; ')}`);
  }
}

export async function loadDetector(bundle: VerifiedBundle, options: OnnxDetectorOptions): Promise<Detector> {
  const m = bundle.manifest;
  const sessionOptions = sessionOptionsFor(options);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bundle.modelBytes, sessionOptions);
  } catch (cause) {
    throw new ModelIntegrityError(
      'MODEL_LOAD_FAILED',
      `${bundle.modelPath} cannot be loaded by onnxruntime: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
  const inputSize = m.input.shape.reduce((a, b) => a * b, 1);
  let closed = false;
  const run = async (tensor: Float32Array) => {
    if (closed) {
      throw new ModelIntegrityError('MODEL_RETIRED', `${m.name} ${m.version} was closed; read the current model again`);
    }
    if (tensor.length !== inputSize) {
      throw new RangeError(
        `input tensor has ${tensor.length} values, ${m.name} expects ${inputSize} (${m.input.shape.join('x')})`,
      );
    }
    const feeds = { [m.input.name]: new ort.Tensor('float32', tensor, [...m.input.shape]) };
    const out = (await session.run(feeds, [m.output.name]))[m.output.name];
    if (out?.type !== 'float32') {
      throw new ModelIntegrityError(
        'MODEL_SHAPE_MISMATCH',
        `${m.name} ${m.version}: output ${m.output.name} is not float32`,
      );
    }
    return { data: out.data as Float32Array, dims: [...out.dims] };
  };
  try {
    checkSignature(session, bundle);
    const probe = await run(new Float32Array(inputSize).fill(0.5));
    if (JSON.stringify(probe.dims) !== JSON.stringify(m.output.shape)) {
      throw new ModelIntegrityError(
        'MODEL_SHAPE_MISMATCH',
        `${bundle.modelPath}: probe output is ${shapeText(probe.dims)}, the manifest says ${shapeText(m.output.shape)}`,
      );
    }
    const bad = probe.data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      throw new ModelIntegrityError(
        'MODEL_PROBE_NOT_FINITE',
        `${bundle.modelPath}: the probe inference gave ${probe.data[bad]} at output index ${bad}, expected finite numbers`,
      );
    }
  } catch (err) {
    await session.release();
    throw err;
  }
  return {
    manifest: m,
    model: { name: m.name, version: m.version, sha256: bundle.modelSha256, precision: m.precision },
    run,
    async close() {
      if (closed) return;
      closed = true;
      await session.release();
    },
  };
}
