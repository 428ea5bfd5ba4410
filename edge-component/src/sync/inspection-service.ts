/**
 * The synchronous inspection path's port: what the HTTP API (`POST /v1/inspect`) and the Lookout for
 * Vision gRPC server call. One implementation serves both, over the agent's own served model (no second
 * session, no second copy of the model), its preparer and its outbox; it follows the model manager's hot
 * swap and counts in the agent's status.
 *
 * Errors (rejected promises):
 * - ImageRejectedError with the quarantine's codes: IMAGE_EMPTY, IMAGE_TOO_LARGE (bytes),
 *   IMAGE_TOO_MANY_PIXELS, IMAGE_UNSUPPORTED_FORMAT (magic bytes), IMAGE_TRUNCATED, IMAGE_CORRUPT;
 * - SyncInspectionError: SYNC_QUEUE_FULL (the bounded queue is full: retry after `retryAfterMs`),
 *   SYNC_TIMEOUT (waited or ran longer than the request timeout), SYNC_NO_MODEL (no model serves, or it
 *   was stopped), SYNC_BAD_BITMAP (raw pixels that do not match width x height x 3), SYNC_STOPPING;
 * - anything else is an internal error (INSPECTION_FAILED).
 */
import type { Thresholds } from '@edgeqc/model-component/manifest';
import type { Inspection, ModelRef } from '../contracts/inspection.ts';

/** An image to inspect: encoded (JPEG or PNG bytes), or packed interleaved RGB888 pixels. */
export type SyncImage =
  | { readonly kind: 'encoded'; readonly bytes: Uint8Array; readonly name?: string }
  | {
      readonly kind: 'rgb';
      readonly width: number;
      readonly height: number;
      /** width x height x 3 bytes, row by row, R G B. */
      readonly pixels: Uint8Array;
      readonly name?: string;
      /**
       * The caller hands the pixels over: the service frees their memory once the inspection's work has
       * ended (release-bytes.ts), and the caller must not read them after the answer. Default false.
       */
      readonly handOver?: boolean;
    }
  | {
      /**
       * Raw RGB888 pixels read only when the request's turn comes (shared memory): a request waiting in
       * the queue holds no pixels. Once the work has ended, the service hands what `readPixels` returned
       * to `releasePixels` (a buffer used again), or frees its memory when there is none.
       */
      readonly kind: 'rgb-deferred';
      readonly width: number;
      readonly height: number;
      readonly readPixels: () => Promise<Uint8Array>;
      readonly releasePixels?: (pixels: Uint8Array) => void;
      readonly name?: string;
    };

export interface SyncInspectOptions {
  /** Also publish the inspection on <prefix>/inspections through the outbox. Default false. */
  readonly publish?: boolean;
  /** Also archive the image under done/<verdict>/ like a camera file. Default false. */
  readonly archive?: boolean;
}

/** What serves now, for readiness checks, DescribeModel and the LFV result mapping. */
export interface ServedModelInfo {
  readonly model: ModelRef;
  /** The model's Greengrass component (`com.edgeqc.Model.<name>`). */
  readonly componentName: string;
  /** Class labels in output order. */
  readonly labels: readonly string[];
  /** The thresholds in force (manifest, overridden by config). */
  readonly thresholds: Thresholds;
}

export interface InspectionService {
  /** Inspects one image with the model that serves when its turn comes. */
  inspect(image: SyncImage, options?: SyncInspectOptions): Promise<Inspection>;
  /** The model that serves now; null while none does. */
  served(): ServedModelInfo | null;
  /** How long a client refused with SYNC_QUEUE_FULL should wait before trying again. */
  retryAfterMs(): number;
}

/** The model lifecycle the Lookout for Vision interface exposes (StartModel/StopModel/DescribeModel). */
export type ModelRunState = 'STOPPED' | 'STARTING' | 'RUNNING' | 'FAILED' | 'STOPPING';

export interface ModelControl {
  /** The model component this agent serves (also when stopped); null before any bundle was seen. */
  componentName(): string | null;
  state(): ModelRunState;
  /** Starts loading the model again; returns at once (state STARTING). Refused unless STOPPED or FAILED. */
  start(): void;
  /** Unloads the model (state STOPPING, then STOPPED). Refused unless RUNNING. */
  stop(): Promise<void>;
}
