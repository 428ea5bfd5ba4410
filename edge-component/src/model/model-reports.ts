/** What the model manager reports: its events, its status, the outcome of a load, and a refusal. */
import type { ModelRef } from '../contracts/inspection.ts';
import type { SelfTestResult } from '../core/types.ts';

/** Why a bundle was refused; `code` is a ModelIntegrityError code (errors.ts). */
export interface ModelRefusal {
  readonly code: string;
  readonly message: string;
  /** What the bundle claimed to be (when its manifest was read) and where it was. */
  readonly model?: { readonly name?: string; readonly version?: string; readonly path?: string };
}

export type ModelManagerEvent =
  | {
      readonly type: 'model-loaded';
      readonly model: ModelRef;
      readonly selfTest: SelfTestResult;
      readonly keyId: string;
      readonly dir: string;
      /** The model it replaced (hot swap); null for the first one. */
      readonly previous: ModelRef | null;
    }
  | {
      readonly type: 'model-rejected';
      readonly refusal: ModelRefusal;
      /** The model that keeps serving, if any. */
      readonly serving: ModelRef | null;
    };

export type ModelManagerState = 'loading' | 'serving' | 'degraded';

export interface ModelManagerStatus {
  readonly state: ModelManagerState;
  /** Why there is no serving model (degraded), or what happens (loading). */
  readonly reason: string | null;
  readonly dir: string | null;
  readonly model: ModelRef | null;
  readonly selfTest: SelfTestResult | null;
  /** Key id that verified the serving model's manifest. */
  readonly keyId: string | null;
  readonly loadedAt: string | null;
  /** The last refusal since the last successful load; null when the last load succeeded. */
  readonly lastRefusal: ModelRefusal | null;
  /** The model was stopped on request (stopServing) and is not served until resumeServing. */
  readonly stopped: boolean;
}

export type LoadOutcome =
  | { readonly outcome: 'loaded'; readonly model: ModelRef }
  | { readonly outcome: 'unchanged'; readonly model: ModelRef }
  | { readonly outcome: 'rejected'; readonly refusal: ModelRefusal };
