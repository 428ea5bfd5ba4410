/**
 * Errors of edge-component: one base, `EdgeError`, with a stable `code`, a message that names the input
 * and what was expected, and the underlying `cause` when there is one. Each subclass has its codes as
 * constants (`ArchiveCode.SourceMissing`) and as a union type (`ArchiveCode`), in error-codes.ts and
 * re-exported here. Match on the class and the code (`hasCode(err, ArchiveCode.SourceMissing)`), never
 * on the message.
 */

import type {
  AgentConfigCode,
  ArchiveCode,
  ConfigSourceCode,
  DemoBundleCode,
  DetectorCode,
  HttpApiCode,
  ImageRejectedCode,
  InspectionCode,
  IntakeFileCode,
  LfvCode,
  MetricsCode,
  ModelIntegrityCode,
  OutboxCode,
  PackagingCode,
  PublishCode,
  SeenIndexCode,
  SyncCode,
  UploadCode,
  ZipCode,
} from './error-codes.ts';

export * from './error-codes.ts';

export type EdgeErrorCode =
  | ImageRejectedCode
  | SyncCode
  | HttpApiCode
  | LfvCode
  | ModelIntegrityCode
  | DetectorCode
  | AgentConfigCode
  | OutboxCode
  | ArchiveCode
  | SeenIndexCode
  | ConfigSourceCode
  | PublishCode
  | PackagingCode
  | ZipCode
  | DemoBundleCode
  | InspectionCode
  | IntakeFileCode
  | MetricsCode
  | UploadCode;

/** Node's system error codes (errno) that edge-component handles. */
export type SystemErrorCode =
  | 'ENOENT'
  | 'ENOTDIR'
  | 'EEXIST'
  | 'EXDEV'
  | 'EPERM'
  | 'ENOTSUP'
  | 'EOPNOTSUPP'
  | 'ELOOP'
  | 'ENOSPC'
  | 'EDQUOT';

/** The base of every error edge-component throws; a subclass fixes its codes with `C`. */
export abstract class EdgeError<C extends string = string> extends Error {
  readonly code: C;
  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An image that cannot be inspected (the agent quarantines it with this reason and keeps running). */
export class ImageRejectedError extends EdgeError<ImageRejectedCode> {}

/** A model bundle the agent refuses to serve (a good running model keeps serving). */
export class ModelIntegrityError extends EdgeError<ModelIntegrityCode> {}

/**
 * The detector cannot run: its onnxruntime worker thread could not start or stopped (an uncaught error
 * or exit in it). Every pending and later run of that detector is refused; load the model again.
 */
export class DetectorError extends EdgeError<DetectorCode> {}

/** A configuration that does not validate; the message names the key path and the value. */
export class AgentConfigError extends EdgeError<AgentConfigCode> {}

/** The durable outbox cannot store or read a message (disk full, corrupt entry...). */
export class OutboxError extends EdgeError<OutboxCode> {}

/** An image could not be moved to done/ or quarantine/ (the agent reports it and keeps the file). */
export class ArchiveError extends EdgeError<ArchiveCode> {}

/** The seen index cannot be read or written. */
export class SeenIndexError extends EdgeError<SeenIndexCode> {}

/** A configuration source (file, Greengrass IPC) cannot deliver a configuration. */
export class ConfigSourceError extends EdgeError<ConfigSourceCode> {}

/**
 * A publishing adapter cannot connect or publish. `reasonCode`: the MQTT 5 reason code the broker
 * answered with, when it answered with one.
 */
export class PublishError extends EdgeError<PublishCode> {
  readonly reasonCode?: number;
  constructor(code: PublishCode, message: string, options?: { cause?: unknown; reasonCode?: number }) {
    super(code, message, options);
    if (options?.reasonCode !== undefined) this.reasonCode = options.reasonCode;
  }
}

/** A synchronous inspection request that is not served (see SyncCode). */
export class SyncInspectionError extends EdgeError<SyncCode> {}

/** The HTTP API cannot start (insecure bind, bad options, port taken) or refuses a request (see HttpApiCode). */
export class HttpApiError extends EdgeError<HttpApiCode> {}

/** The Lookout for Vision gRPC server cannot start, or refuses a call (see LfvCode). */
export class LfvError extends EdgeError<LfvCode> {}

/** A zip archive that cannot be written or read safely. */
export class ZipError extends EdgeError<ZipCode> {}

/** The demo bundle cannot be made (the demo model is missing from this checkout, packaging failed...). */
export class DemoBundleError extends EdgeError<DemoBundleCode> {}

/** The agent packager cannot build the component. */
export class PackagingError extends EdgeError<PackagingCode> {}

/** The `code` of any error that has a string one (an EdgeError, a Node system error, another library's). */
export function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  return typeof err.code === 'string' ? err.code : undefined;
}

/** True when `err` carries one of `codes`. */
export function hasCode(err: unknown, ...codes: readonly (EdgeErrorCode | SystemErrorCode)[]): boolean {
  const code = errorCode(err);
  return code !== undefined && codes.some((c) => c === code);
}

/** True when `value` is one of the codes of `codes` (a code read from outside, e.g. a worker's message). */
export function isCodeOf<T extends Record<string, string>>(codes: T, value: unknown): value is T[keyof T] {
  return typeof value === 'string' && Object.values(codes).some((c) => c === value);
}

/** The message of anything thrown. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A camera file refused as a file (not a regular file) or changed while it was taken in. */
export class IntakeFileError extends EdgeError<IntakeFileCode> {}

/** The device's model metrics cannot be computed or served (see MetricsCode). */
export class MetricsError extends EdgeError<MetricsCode> {}

/** The uploader cannot queue or upload an inspection (see UploadCode); the inspection itself stands. */
export class UploadError extends EdgeError<UploadCode> {}
