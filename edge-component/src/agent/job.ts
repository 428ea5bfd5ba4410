/** A camera file on its way through the agent's stages, and what the decide stage makes of it. */
import type { Inspection } from '../contracts/inspection.ts';
import type { AdmittedImage, CameraFile } from '../ports.ts';
import type { IntakeResult } from './pipeline.ts';

export interface Job {
  readonly file: CameraFile;
  /** Date.now() when intake pulled the file (the status latency counts from here). */
  readonly pulledAt: number;
  /** Set when intake is done with the file; null when it failed unexpectedly (the file is left). */
  intake?: IntakeResult | null;
}

/** What the decide stage decided for an image; the commit stage carries it out. */
export type Decision =
  | Exclude<IntakeResult, { kind: 'admitted' }>
  | { readonly kind: 'known'; readonly image: AdmittedImage }
  | { readonly kind: 'inspected'; readonly image: AdmittedImage; readonly inspection: Inspection }
  | { readonly kind: 'leave' };

/** A decided job, waiting for (or in) its commit. */
export interface DecidedJob {
  readonly job: Job;
  readonly decision: Decision;
}
