/**
 * The gRPC status of a refused call, from our error. The documented codes where the documentation has
 * one; where it has none, the gRPC code made for the case (written down in the migration page):
 *   LFV_UNKNOWN_MODEL                          NOT_FOUND (5)
 *   LFV_MODEL_STATE, SYNC_NO_MODEL             FAILED_PRECONDITION (9): the model is not RUNNING
 *                                              (or, for StartModel/StopModel, not in the state they need)
 *   SYNC_BAD_BITMAP, any IMAGE_* code          INVALID_ARGUMENT (3)
 *   SYNC_QUEUE_FULL                            RESOURCE_EXHAUSTED (8), with grpc-retry-pushback-ms
 *   SYNC_TIMEOUT                               DEADLINE_EXCEEDED (4): undocumented for the agent
 *   SYNC_STOPPING                              UNAVAILABLE (14): the agent is shutting down
 *   anything else                              INTERNAL (13), details say only INSPECTION_FAILED
 * Every refusal carries our code in the trailing metadata `edgeqc-code`.
 */
import { Metadata, status } from '@grpc/grpc-js';
import {
  errorCode,
  ImageRejectedError,
  InspectionCode,
  LfvCode,
  LfvError,
  SyncCode,
  SyncInspectionError,
} from '../../errors.ts';

export const EDGEQC_CODE_KEY = 'edgeqc-code';
/** The trailer gRPC's retry policies read (gRFC A6): how long to wait before trying again. */
export const RETRY_PUSHBACK_KEY = 'grpc-retry-pushback-ms';

export interface CallStatus {
  readonly code: status;
  readonly details: string;
  /** Our code: an LfvCode, SyncCode, ImageRejectedCode or INSPECTION_FAILED. */
  readonly edgeqcCode: string;
  readonly retryAfterMs?: number;
}

const SYNC_STATUS: Record<SyncCode, status> = {
  [SyncCode.QueueFull]: status.RESOURCE_EXHAUSTED,
  [SyncCode.Timeout]: status.DEADLINE_EXCEEDED,
  [SyncCode.NoModel]: status.FAILED_PRECONDITION,
  [SyncCode.BadBitmap]: status.INVALID_ARGUMENT,
  [SyncCode.Stopping]: status.UNAVAILABLE,
};

const LFV_STATUS: Partial<Record<LfvCode, status>> = {
  [LfvCode.UnknownModel]: status.NOT_FOUND,
  [LfvCode.ModelState]: status.FAILED_PRECONDITION,
};

/** The status for `err`; `retryAfterMs` is asked only for SYNC_QUEUE_FULL. */
export function callStatusOf(err: unknown, retryAfterMs: () => number): CallStatus {
  if (err instanceof SyncInspectionError) {
    const retry = err.code === SyncCode.QueueFull ? { retryAfterMs: retryAfterMs() } : {};
    return { code: SYNC_STATUS[err.code], details: `${err.code}: ${err.message}`, edgeqcCode: err.code, ...retry };
  }
  if (err instanceof ImageRejectedError) {
    return { code: status.INVALID_ARGUMENT, details: `${err.code}: ${err.message}`, edgeqcCode: err.code };
  }
  const lfv = err instanceof LfvError ? LFV_STATUS[err.code] : undefined;
  if (err instanceof LfvError && lfv !== undefined) {
    return { code: lfv, details: `${err.code}: ${err.message}`, edgeqcCode: err.code };
  }
  const code = errorCode(err);
  return {
    code: status.INTERNAL,
    details: `${InspectionCode.Failed}: the inspection failed${code ? ` (${code})` : ''}; the agent's log has the cause`,
    edgeqcCode: InspectionCode.Failed,
  };
}

/** The object a grpc-js unary callback takes as its error. */
export function toServiceError(s: CallStatus): { code: status; details: string; metadata: Metadata } {
  const metadata = new Metadata();
  metadata.set(EDGEQC_CODE_KEY, s.edgeqcCode);
  if (s.retryAfterMs !== undefined) metadata.set(RETRY_PUSHBACK_KEY, String(Math.max(0, Math.ceil(s.retryAfterMs))));
  return { code: s.code, details: s.details, metadata };
}
