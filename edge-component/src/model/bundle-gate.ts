/**
 * The only way to a model that may serve: a bundle folder passes, in order, verifyModelBundle (files,
 * signature, the deployment's expected name/version/sha256, hash, minimum version: before any session
 * exists), the high-water mark (no version below the highest this device accepted: MODEL_ROLLBACK),
 * loadDetector (session from the verified bytes, input/output against the manifest, a finite probe)
 * and the bundle's self-test images. A bundle that passed raises the high-water mark (durably) before
 * it may serve. A failure at any step is a refusal with its code, never a throw.
 */
import type { ModelRef } from '../contracts/inspection.ts';
import type { SelfTestResult, VerifiedBundle } from '../core/types.ts';
import { errorCode, ModelIntegrityCode, ModelIntegrityError, messageOf } from '../errors.ts';
import type { ModelExpectation, verifyModelBundle } from '../integrity/verify-bundle.ts';
import type { Detector, ImagePreparer } from '../ports.ts';
import { releaseMemory } from '../release-memory.ts';
import type { ModelHighWater } from './model-high-water.ts';
import type { ModelRefusal } from './model-reports.ts';

/** What loadDetector is given for every model (adapters/onnx-detector.ts OnnxDetectorOptions). */
export interface DetectorSettings {
  readonly intraOpThreads: number;
  readonly interOpThreads: number;
  /** The session in a worker thread of its own, or (default) in the calling thread. */
  readonly worker?: boolean;
  /** onnxruntime's thread pools spin while waiting for work. Default false. */
  readonly allowSpinning?: boolean;
  /** With `worker`: the nice value of the agent's other threads while a model serves (0: unchanged). */
  readonly pipelineNice?: number;
}

export interface BundleGate {
  readonly verify: typeof verifyModelBundle;
  readonly trustedKeys: readonly string[];
  readonly minModelVersion?: string;
  /** What the signed manifest must say (config `model.expect`). */
  readonly expect?: ModelExpectation;
  /** The persisted high-water mark; none: no rollback check across loads (tests, `inspect`). */
  readonly highWater?: ModelHighWater;
  readonly loadDetector: (bundle: VerifiedBundle, options: DetectorSettings) => Promise<Detector>;
  readonly detector: DetectorSettings;
  readonly runSelfTests: (
    bundle: VerifiedBundle,
    detector: Detector,
    preparer: ImagePreparer,
  ) => Promise<SelfTestResult>;
  readonly preparer: ImagePreparer;
}

export type GateResult =
  | {
      readonly kind: 'passed';
      readonly bundle: VerifiedBundle;
      readonly detector: Detector;
      readonly selfTest: SelfTestResult;
    }
  /** The verified bundle is the one that serves: nothing was loaded. */
  | { readonly kind: 'unchanged'; readonly model: ModelRef }
  | { readonly kind: 'refused'; readonly refusal: ModelRefusal };

/** A ModelIntegrityError's code, another well-formed code, or `fallback`. */
function codeOf(err: unknown, fallback: string): string {
  if (err instanceof ModelIntegrityError) return err.code;
  const code = errorCode(err);
  return code !== undefined && /^[A-Z][A-Z0-9_]{2,63}$/.test(code) ? code : fallback;
}

/**
 * Takes the bundle in `dir` through the gate. `servingAs` names the serving model when the verified
 * bundle is the one that serves already (null otherwise): then nothing is loaded.
 */
export async function passBundleGate(
  dir: string,
  gate: BundleGate,
  servingAs: (bundle: VerifiedBundle) => ModelRef | null,
): Promise<GateResult> {
  const refused = (refusal: ModelRefusal): GateResult => ({ kind: 'refused', refusal });
  let bundle: VerifiedBundle;
  try {
    bundle = await gate.verify(dir, {
      trustedKeys: gate.trustedKeys,
      minModelVersion: gate.minModelVersion,
      ...(gate.expect ? { expect: gate.expect } : {}),
    });
  } catch (err) {
    return refused({
      code: codeOf(err, ModelIntegrityCode.ManifestInvalid),
      message: messageOf(err),
      model: { path: dir },
    });
  }
  const claimed = { name: bundle.manifest.name, version: bundle.manifest.version, path: dir };
  const identity = { name: bundle.manifest.name, version: bundle.manifest.version, sha256: bundle.modelSha256 };
  try {
    await gate.highWater?.check(identity, dir);
  } catch (err) {
    releaseMemory(bundle.modelBytes);
    return refused({ code: codeOf(err, ModelIntegrityCode.Rollback), message: messageOf(err), model: claimed });
  }
  const serving = servingAs(bundle);
  if (serving !== null) {
    releaseMemory(bundle.modelBytes);
    return { kind: 'unchanged', model: serving };
  }
  let detector: Detector;
  try {
    detector = await gate.loadDetector(bundle, { ...gate.detector });
  } catch (err) {
    return refused({ code: codeOf(err, ModelIntegrityCode.LoadFailed), message: messageOf(err), model: claimed });
  } finally {
    // The session holds the model now (or there is none): free the verified bytes at once instead
    // of whenever V8 next collects them (memory figures: docs/benchmarks.md, section 1).
    releaseMemory(bundle.modelBytes);
  }
  let selfTest: SelfTestResult;
  try {
    selfTest = await gate.runSelfTests(bundle, detector, gate.preparer);
  } catch (err) {
    await detector.close().catch(() => undefined);
    return refused({
      code: ModelIntegrityCode.SelfTestFailed,
      message: `model bundle ${dir}: the self-test could not run: ${messageOf(err)}`,
      model: claimed,
    });
  }
  if (!selfTest.passed) {
    await detector.close().catch(() => undefined);
    return refused({
      code: ModelIntegrityCode.SelfTestFailed,
      message: `model bundle ${dir}: ${selfTest.failures.length} of ${selfTest.cases} self-test image(s) failed: ${selfTest.failures.join('; ')}`,
      model: claimed,
    });
  }
  try {
    await gate.highWater?.record(identity);
  } catch (err) {
    await detector.close().catch(() => undefined);
    return refused({
      code: codeOf(err, ModelIntegrityCode.StateWriteFailed),
      message: messageOf(err),
      model: claimed,
    });
  }
  return { kind: 'passed', bundle, detector, selfTest };
}
