/**
 * The agent's ports: small interfaces in front of every outside system. Adapters live in adapters/,
 * one file (or folder) per system; main.ts wires them; tests use fakes.
 */

/** QoS of a publish: 0 at most once, 1 at least once. */
export type Qos = 0 | 1;

export interface PublishRequest {
  readonly topic: string;
  readonly payload: Uint8Array;
  readonly qos: Qos;
  readonly retain?: boolean;
}

/**
 * Port: sends messages to the broker (MQTT 5 or 3.1.1 to a broker, or Greengrass IPC PublishToIoTCore).
 * `publish` resolves when the broker (or the nucleus) acknowledged a QoS 1 message, and rejects when it
 * could not be sent; the caller (the outbox) keeps the message and tries again.
 */
export interface Publisher {
  connect(): Promise<void>;
  publish(request: PublishRequest): Promise<void>;
  /** True while the publisher believes a publish can succeed. */
  isConnected(): boolean;
  /** Publishes nothing more; for MQTT, sends the retained `offline` status first when given. */
  close(finalMessage?: PublishRequest): Promise<void>;
}

/** The outcome of validating a configuration update before it is applied. */
export type ConfigVerdict = { readonly accepted: true } | { readonly accepted: false; readonly reason: string };

/**
 * Port: where the agent's configuration comes from (file/env/flags locally, Greengrass IPC
 * GetConfiguration + SubscribeToConfigurationUpdate + SubscribeToValidateConfigurationUpdates on a device).
 */
export interface ConfigSource {
  /** The raw (unvalidated) configuration object. */
  load(): Promise<unknown>;
  /**
   * Calls `validate` for every proposed update (Greengrass sends them before a deployment applies
   * them; a rejection fails the deployment) and `onChange` with every applied configuration.
   * Returns a function that stops listening.
   */
  watch(handlers: {
    validate(raw: unknown): ConfigVerdict;
    onChange(raw: unknown): void;
  }): Promise<() => Promise<void>>;
}

/** Port: tells the supervisor (Greengrass UpdateState) that the component is RUNNING or ERRORED. */
export interface LifecycleReporter {
  report(state: 'RUNNING' | 'ERRORED'): Promise<void>;
}

/** One image file in the camera folder that is complete (its size and mtime stopped changing). */
export interface CameraFile {
  /** Absolute path of the file inside the camera folder. */
  readonly path: string;
  readonly sizeBytes: number;
  readonly mtimeMs: number;
  /** The file as lstat saw it when it was judged complete (absent from sources that do not know it). */
  readonly identity?: FileIdentity;
}

/**
 * Which file a name pointed to: the same (device, inode, size, mtime) later means the same bytes are
 * still there; anything else means the file was replaced, rewritten or moved.
 */
export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
  readonly sizeBytes: number;
  readonly mtimeMs: number;
}

/**
 * Port: the camera folder. Pull-based: the consumer's pace is the backpressure (the source keeps a
 * bounded set of pending paths and rescans the folder later instead of growing without bound).
 *
 * `files` yields first the backlog present at start-up, oldest first, then new files as they land.
 * It never yields a file that is still being written (temp-name-then-rename and write-in-place both
 * handled), skips hidden and temporary names, and yields a path at most once while it stays in the
 * folder: call `markDone(path)` when the consumer moved or deleted it, so that a new file landing later
 * under the same name is yielded again. The iteration ends when `signal` is aborted.
 */
export interface CameraSource {
  files(signal: AbortSignal): AsyncIterable<CameraFile>;
  /** The consumer is finished with `path` (moved it out of the folder); forget it. */
  markDone(path: string): void;
  /**
   * Why no file should be taken now (the work folder's disk is full), or undefined. While it says so the
   * agent takes no new file and reports degraded with this reason. Absent: never paused.
   */
  paused?(): string | undefined;
}

// ---------------------------------------------------------------------------------------------------
// The inspection pipeline's ports (admit -> prepare -> analyse -> decode -> verdict -> outbox -> act).
// ---------------------------------------------------------------------------------------------------

import type { Manifest } from '@edgeqc/model-component/manifest';
import type { ErrorEvent } from './contracts/error-event.ts';
import type { Inspection, ModelRef } from './contracts/inspection.ts';
import type { LetterboxGeometry, RawOutput } from './core/types.ts';

/** An image file that passed admission: its bytes were read once, hashed and sniffed. */
export interface AdmittedImage {
  readonly path: string;
  /** File name as it arrived in the camera folder. */
  readonly file: string;
  readonly bytes: Uint8Array;
  readonly sha256: string;
  /** `rgb`: packed RGB888 pixels handed over by a client (the synchronous API), not a file. */
  readonly format: 'jpeg' | 'png' | 'rgb';
  /** With format `rgb`: the pixels' size (`bytes` holds width x height x 3). */
  readonly rgb?: RgbPixels;
  readonly sizeBytes: number;
  readonly mtimeMs: number;
  /** The file its bytes were read from, through one descriptor (absent: not read from a file). */
  readonly identity?: FileIdentity;
}

/** An admitted image decoded, EXIF-oriented and letterboxed into the model's input tensor. */
export interface PreparedImage {
  readonly image: AdmittedImage;
  /** Width and height after EXIF orientation (the pixels boxes are reported in). */
  readonly width: number;
  readonly height: number;
  /** NCHW float32, as the manifest's input says (normalisation, colour order, letterbox pad value). */
  readonly tensor: Float32Array;
  readonly geometry: LetterboxGeometry;
  readonly timingsMs: { readonly decode: number; readonly preprocess: number };
}

/**
 * Port: reads and checks an image file (magic bytes, size and pixel limits, strict decoding) and turns
 * it into the model input. Rejects with ImageRejectedError (errors.ts) naming the file and the reason.
 */
export interface ImagePreparer {
  admit(file: CameraFile): Promise<AdmittedImage>;
  /** Decodes an encoded image (format jpeg or png), or letterboxes raw pixels (format rgb). */
  prepare(image: AdmittedImage, input: Manifest['input']): Promise<PreparedImage>;
}

/** The size of an `rgb` AdmittedImage's bytes: width x height x 3, row by row, R G B. */
export interface RgbPixels {
  readonly width: number;
  readonly height: number;
}

/** A loaded model: one onnxruntime session, warmed up and checked against its manifest. */
export interface Detector {
  readonly manifest: Manifest;
  readonly model: ModelRef;
  /**
   * Runs one inference on a prepared input tensor. The detector may take the tensor: one whose session
   * runs on another thread transfers the tensor's buffer there, so the caller's tensor is detached
   * (length 0) afterwards. A caller that needs the input again keeps its own copy or prepares it again.
   */
  run(tensor: Float32Array): Promise<RawOutput>;
  close(): Promise<void>;
  /** Where the session runs, for logs (absent: the calling thread, priorities untouched). */
  readonly threads?: DetectorThreads;
}

/** The thread of a detector whose session runs in a thread of its own, and its priority over the others. */
export interface DetectorThreads {
  /** The inference thread's id (Linux), when it could be read. */
  readonly inferenceThreadId?: number;
  /** The nice value the agent's other threads were lowered to (0: not lowered). */
  readonly othersNice: number;
  /** The inference thread's own nice value (above 0 when it was started by a lowered thread). */
  readonly inferenceNice?: number;
  /** False where thread priorities cannot be set (not Linux). */
  readonly prioritySupported: boolean;
}

/** One message waiting in the durable outbox. */
export interface OutboxEntry {
  /** Monotonic sequence number: entries are delivered in this order. */
  readonly seq: number;
  readonly topic: string;
  readonly payload: Uint8Array;
  /** For inspections, the message's messageId (consumers drop duplicates by it). */
  readonly messageId?: string;
}

/** A message the broker refused for good: written to the outbox's dead-letter file, not retried. */
export interface DeadLetterNotice {
  readonly topic: string;
  readonly messageId?: string;
  readonly sizeBytes: number;
  /** PUBLISH_REFUSED. */
  readonly code: string;
  /** The MQTT 5 reason code, when the broker answered with one (135 Not authorized...). */
  readonly reasonCode?: number;
  readonly reason: string;
  /** The dead-letter file it was written to. */
  readonly file: string;
}

export interface OutboxStats {
  readonly pending: number;
  readonly capacity: number;
  /** Entries dropped by the outbox-full policy since start. */
  readonly dropped: number;
}

/**
 * Port: the durable, ordered outbox. `append` resolves once the entry is on disk (fsync), so a crash
 * after it loses nothing. A drain loop delivers entries in order through a Publisher and removes each
 * after the broker acknowledged it.
 */
export interface Outbox {
  append(entry: Omit<OutboxEntry, 'seq'>): Promise<OutboxEntry>;
  /** True when the outbox is at capacity and the configured policy is to pause intake. */
  isFull(): boolean;
  stats(): OutboxStats;
  /** Starts delivering through `publisher` until `close`. */
  start(publisher: Publisher): void;
  /** Resolves when every entry appended so far was delivered (or `timeoutMs` passed: false). */
  flush(timeoutMs: number): Promise<boolean>;
  /** Calls `listener` for each entry the broker refused for good (dead-lettered, delivery goes on). */
  onDeadLetter?(listener: (notice: DeadLetterNotice) => void): void;
  close(): Promise<void>;
}

/** Where inspected and rejected images go (out of the camera folder, so nothing is inspected twice). */
export interface ImageArchive {
  /** Moves the file to done/<verdict>/ (and writes an annotated copy when configured). */
  done(image: AdmittedImage, inspection: Inspection): Promise<string>;
  /** Moves the file to quarantine/ with a `<name>.reason.json` beside it. */
  quarantine(path: string, reason: { code: string; message: string; sha256?: string }): Promise<string>;
}

/** What the agent emits besides inspections: error events (also published through the outbox). */
export type AgentEvent =
  | { readonly kind: 'inspection'; readonly inspection: Inspection }
  | { readonly kind: 'error'; readonly error: ErrorEvent };

/** What the agent remembers about an image it inspected (by the sha256 of its bytes). */
export interface SeenRecord {
  readonly sha256: string;
  readonly messageId: string;
  readonly file: string;
  readonly verdict: Inspection['verdict'];
  /** False until the file was moved out of the camera folder (crash recovery finishes the move). */
  readonly archived: boolean;
}

/**
 * Port: the durable index of inspected images, so that a re-sent identical file is recognised as a
 * duplicate and a file whose inspection was already in the outbox when the agent crashed is archived,
 * not inspected again. Bounded: the oldest records are forgotten beyond `capacity`.
 */
export interface SeenIndex {
  get(sha256: string): SeenRecord | undefined;
  put(record: SeenRecord): Promise<void>;
  markArchived(sha256: string): Promise<void>;
  close(): Promise<void>;
}
