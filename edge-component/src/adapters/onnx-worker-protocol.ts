/**
 * The messages between the worker detector (onnx-worker-detector.ts, main thread) and its session
 * worker (onnx-session-worker.ts). Tensors travel in transfer lists: the input as the caller prepared it
 * (handed over, not copied; the worker hands it back with the output, or frees it when the run
 * failed), the output as the worker got it from onnxruntime.
 * Errors travel as name, code and message, and come back as the
 * same class with the same code.
 */
import type { Manifest } from '../core/types.ts';
import { EdgeError, isCodeOf, ModelIntegrityCode, ModelIntegrityError } from '../errors.ts';
import type { OnnxSessionSettings } from './onnx-session.ts';

/** The worker's file name (without .js) in the packaged agent, beside main.js (packaging/package-agent.ts). */
export const SESSION_WORKER_BUNDLE_NAME = 'onnx-session-worker';

/** The worker's workerData. `modelBytes` is the worker's own copy (transferred). */
export interface SessionWorkerInit {
  readonly manifest: Manifest;
  readonly modelPath: string;
  readonly modelBytes: Uint8Array;
  readonly settings: OnnxSessionSettings;
}

export type ToSessionWorker =
  | { readonly type: 'run'; readonly id: number; readonly tensor: Float32Array }
  /** Finish the runs in flight, release the session, answer `closed`. */
  | { readonly type: 'close' };

export type FromSessionWorker =
  /** `threadId`: the worker's own thread id (Linux), for thread-priority.ts. */
  | { readonly type: 'ready'; readonly threadId?: number }
  | { readonly type: 'refused'; readonly error: WireError }
  | {
      readonly type: 'result';
      readonly id: number;
      readonly data: Float32Array;
      readonly dims: number[];
      /** The run's input tensor, handed back (transferred) once the run is done. */
      readonly input?: Float32Array;
    }
  | { readonly type: 'failed'; readonly id: number; readonly error: WireError }
  | { readonly type: 'closed' };

export interface WireError {
  readonly name: string;
  readonly code?: string;
  readonly message: string;
}

export function toWire(err: unknown): WireError {
  if (err instanceof EdgeError) return { name: err.name, code: err.code, message: err.message };
  if (err instanceof Error) return { name: err.name, message: err.message };
  return { name: 'Error', message: String(err) };
}

/** The error again on this side: a ModelIntegrityError keeps its code; anything else is an Error of that name. */
export function fromWire(wire: WireError): Error {
  if (wire.name === ModelIntegrityError.name && isCodeOf(ModelIntegrityCode, wire.code)) {
    return new ModelIntegrityError(wire.code, wire.message);
  }
  const err = new Error(wire.message);
  err.name = wire.name;
  return err;
}
