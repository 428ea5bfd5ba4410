/**
 * Plain data shared by the pure core (core/) and the adapters: letterbox geometry, raw model output,
 * the thresholds used to decode it. No I/O here.
 */
import type { Manifest, Thresholds } from '@edgeqc/model-component/manifest';
import type { Detection } from '../contracts/inspection.ts';

export type { Manifest, Thresholds, Verdict } from '@edgeqc/model-component/manifest';
export type { Detection } from '../contracts/inspection.ts';

/** How an image of `sourceWidth` x `sourceHeight` was placed into the model input (letterbox). */
export interface LetterboxGeometry {
  readonly sourceWidth: number;
  readonly sourceHeight: number;
  readonly inputWidth: number;
  readonly inputHeight: number;
  /** input pixels per source pixel (the same on both axes). */
  readonly scale: number;
  /** Size of the resized image inside the input, in input pixels. */
  readonly resizedWidth: number;
  readonly resizedHeight: number;
  /** Padding on the left and top, in input pixels. */
  readonly padLeft: number;
  readonly padTop: number;
}

/** The raw output of one YOLO detection inference: [1, 4 + classes, anchors], row-major. */
export interface RawOutput {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

/** Thresholds in effect for one inspection (the manifest's defaults, overridden by config). */
export type EffectiveThresholds = Thresholds;

/** What decoding needs besides the raw output. */
export interface DecodeContext {
  readonly geometry: LetterboxGeometry;
  readonly classes: readonly string[];
  readonly thresholds: EffectiveThresholds;
}

export type { Detection as DecodedDetection };
export type ModelManifest = Manifest;

/**
 * A model bundle whose files, hash and signature were verified (integrity/). The session is created
 * from `modelBytes`, the very bytes that were hashed, never by reading the file again.
 */
export interface VerifiedBundle {
  readonly dir: string;
  readonly manifest: Manifest;
  readonly modelPath: string;
  readonly modelBytes: Uint8Array;
  readonly modelSha256: string;
  /** Key id (sha256:<hex>) of the trusted key that verified manifest.sig. */
  readonly keyId: string;
}

/** The outcome of running a bundle's self-test images (the shape of Status.selfTest). */
export interface SelfTestResult {
  readonly passed: boolean;
  readonly modelSha256: string;
  readonly cases: number;
  readonly failures: readonly string[];
}

/** The model input as the manifest describes it (shape, colour order, normalisation, letterbox pad). */
export type ManifestInputSpec = Manifest['input'];
