/**
 * One onnxruntime-node (CPU) session checked against its manifest, the same in the agent's main thread
 * and in the detector's worker thread (onnx-session-worker.ts): created from the verified bytes, graph
 * optimisations on, thread counts from the config (0: onnxruntime chooses).
 *
 * Refused with ModelIntegrityError before it serves:
 *   MODEL_LOAD_FAILED     onnxruntime cannot create a session from the bytes;
 *   MODEL_SHAPE_MISMATCH  the model's only input is not the manifest's (name, float32, [1,3,H,W]), or
 *                         its output is not (name, float32, [1, 4 + classes, anchors]), declared or as
 *                         produced by the probe;
 *   MODEL_PROBE_NOT_FINITE the probe inference (a uniform grey input; it is also the warm-up) gives NaN/Inf.
 *
 * Memory: CPU arena on, memory patterns off. Of the combinations compared, this one kept RSS lowest
 * (with the arena off, glibc malloc keeps what the arena would have reused), and run time did not
 * change measurably. The comparison is in this file's git history; current figures: docs/benchmarks.md.
 *
 * Spinning: by default onnxruntime's intra-op (and inter-op) threads spin waiting for work between
 * operators. Spinning threads take the CPU the rest of the agent needs (in a raw loop on a small CPU
 * they even ran fewer inferences for more CPU time each), so the default is off (session config
 * entries *.allow_spinning = "0").
 */
import * as ort from 'onnxruntime-node';
import type { Manifest, RawOutput } from '../core/types.ts';
import { ModelIntegrityError } from '../errors.ts';

export interface OnnxSessionSettings {
  /** Threads inside one operator; 0: onnxruntime chooses (one per core). */
  readonly intraOpThreads: number;
  /** Threads across operators; 0: onnxruntime chooses. */
  readonly interOpThreads: number;
  /** Let onnxruntime's pool threads spin while waiting for work. Default false (they sleep). */
  readonly allowSpinning?: boolean;
}

/** The session options used for every model (exported for the benchmark's raw-session baseline). */
export function sessionOptionsFor(options: OnnxSessionSettings): ort.InferenceSession.SessionOptions {
  for (const key of ['intraOpThreads', 'interOpThreads'] as const) {
    if (!Number.isSafeInteger(options[key]) || options[key] < 0) {
      throw new RangeError(`loadDetector: ${key} must be an integer >= 0, got ${options[key]}`);
    }
  }
  const spin = options.allowSpinning === true ? '1' : '0';
  return {
    intraOpNumThreads: options.intraOpThreads,
    interOpNumThreads: options.interOpThreads,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    enableCpuMemArena: true,
    enableMemPattern: false,
    // onnxruntime-node flattens these to session config entries session.intra_op.allow_spinning etc.
    extra: { session: { intra_op: { allow_spinning: spin }, inter_op: { allow_spinning: spin } } },
  };
}

/** What a checked session needs to know of its bundle. */
export interface SessionSource {
  readonly manifest: Manifest;
  /** For messages only: the bytes are what is loaded. */
  readonly modelPath: string;
  readonly modelBytes: Uint8Array;
}

export interface CheckedSession {
  /** One inference; the tensor has the manifest's input size (the caller checks it). */
  run(tensor: Float32Array): Promise<RawOutput>;
  release(): Promise<void>;
}

const shapeText = (shape: readonly (number | string)[]) => `[${shape.join(',')}]`;

/** Declared dims agree with the manifest's: equal numbers; a symbolic dim (string) is checked by the probe. */
function sameShape(declared: readonly (number | string)[], expected: readonly number[]): boolean {
  return declared.length === expected.length && declared.every((d, i) => typeof d === 'string' || d === expected[i]);
}

function checkSignature(session: ort.InferenceSession, source: SessionSource): void {
  const m = source.manifest;
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
    throw new ModelIntegrityError('MODEL_SHAPE_MISMATCH', `${source.modelPath}: ${problems.join('; ')}`);
  }
}

/** Creates the session, checks its signature and runs the probe; refuses with ModelIntegrityError. */
export async function openCheckedSession(
  source: SessionSource,
  settings: OnnxSessionSettings,
): Promise<CheckedSession> {
  const m = source.manifest;
  const sessionOptions = sessionOptionsFor(settings);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(source.modelBytes, sessionOptions);
  } catch (cause) {
    throw new ModelIntegrityError(
      'MODEL_LOAD_FAILED',
      `${source.modelPath} cannot be loaded by onnxruntime: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
  const run = async (tensor: Float32Array): Promise<RawOutput> => {
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
    checkSignature(session, source);
    const probe = await run(new Float32Array(m.input.shape.reduce((a, b) => a * b, 1)).fill(0.5));
    if (JSON.stringify(probe.dims) !== JSON.stringify(m.output.shape)) {
      throw new ModelIntegrityError(
        'MODEL_SHAPE_MISMATCH',
        `${source.modelPath}: probe output is ${shapeText(probe.dims)}, the manifest says ${shapeText(m.output.shape)}`,
      );
    }
    const bad = probe.data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      throw new ModelIntegrityError(
        'MODEL_PROBE_NOT_FINITE',
        `${source.modelPath}: the probe inference gave ${probe.data[bad]} at output index ${bad}, expected finite numbers`,
      );
    }
  } catch (err) {
    await session.release();
    throw err;
  }
  return { run, release: () => session.release() };
}
