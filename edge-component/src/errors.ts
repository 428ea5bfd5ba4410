/**
 * Errors of the edge agent. Every error has a stable `code` (match on it, never on the message),
 * a message that names the input and what was expected, and the underlying `cause` when there is one.
 * Adapters that predate this file keep their own small error files (adapters/*-errors.ts).
 */
export class EdgeError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * An image that cannot be inspected (the agent quarantines it with this reason and keeps running).
 * Codes: IMAGE_EMPTY, IMAGE_TOO_LARGE (bytes), IMAGE_TOO_MANY_PIXELS, IMAGE_UNSUPPORTED_FORMAT
 * (magic bytes), IMAGE_TRUNCATED, IMAGE_CORRUPT, IMAGE_UNREADABLE, IMAGE_DUPLICATE.
 */
export class ImageRejectedError extends EdgeError {}

/**
 * A model bundle the agent refuses to serve (a good running model keeps serving).
 * Codes: BUNDLE_MISSING_FILE, MANIFEST_INVALID, SIGNATURE_MISSING, SIGNATURE_INVALID, UNKNOWN_KEY,
 * MODEL_SIZE_MISMATCH, MODEL_HASH_MISMATCH, MODEL_TOO_OLD, MODEL_LOAD_FAILED, MODEL_SHAPE_MISMATCH,
 * MODEL_PROBE_NOT_FINITE, SELF_TEST_FAILED; MODEL_RETIRED (a run on a replaced model that was
 * already closed: read the model manager's current() again).
 */
export class ModelIntegrityError extends EdgeError {}

/**
 * The detector cannot run: its onnxruntime worker thread could not start or stopped (an uncaught error
 * or exit in it). Every pending and later run of that detector is refused; load the model again.
 * Codes: DETECTOR_WORKER_FAILED.
 */
export class DetectorError extends EdgeError {}

/** A configuration that does not validate; the message names the key path and the value. */
export class AgentConfigError extends EdgeError {}

/**
 * The durable outbox cannot store or read a message (disk full, corrupt entry...).
 * Codes: OUTBOX_OPEN_FAILED (folder unusable), OUTBOX_WRITE_FAILED (append not durable; nothing
 * acknowledged), OUTBOX_FULL (pause-intake hard limit reached; try again later), OUTBOX_BAD_ENTRY
 * (empty topic, payload not bytes, entry larger than maxBytes), OUTBOX_READ_FAILED (a stored entry no
 * longer checks out: set aside, not delivered), OUTBOX_CLOSED.
 */
export class OutboxError extends EdgeError {}

/**
 * An image could not be moved to done/ or quarantine/ (the agent reports it and keeps the file).
 * Codes: ARCHIVE_SOURCE_MISSING (the file vanished before the move), ARCHIVE_MOVE_FAILED.
 */
export class ArchiveError extends EdgeError {}

/** The seen index cannot be read or written. Codes: SEEN_INDEX_OPEN_FAILED, SEEN_INDEX_WRITE_FAILED, SEEN_INDEX_CLOSED. */
export class SeenIndexError extends EdgeError {}
