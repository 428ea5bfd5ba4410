/**
 * The model for the one-shot commands (`edgeqc inspect`, `edgeqc bench`): a given bundle verified
 * against given trusted keys, or, with no bundle, the demo bundle (demo-bundle.ts) trusted by its demo
 * key. Either way it goes through the agent's own checks: bundle verification (size, sha256, signature),
 * session load with input/output checks and a probe, then the bundle's self-test images.
 */
import { readFile } from 'node:fs/promises';
import type { Precision } from '@edgeqc/model-component/manifest';
import { loadDetector } from '../adapters/onnx-detector.ts';
import { createSharpImagePreparer } from '../adapters/sharp-image-preparer.ts';
import { InferenceConfigSchema, LimitsConfigSchema } from '../config/schema.ts';
import type { SelfTestResult, VerifiedBundle } from '../core/types.ts';
import { AgentConfigError, ModelIntegrityError } from '../errors.ts';
import { runSelfTests } from '../inference/self-test.ts';
import { verifyModelBundle } from '../integrity/verify-bundle.ts';
import type { Detector, ImagePreparer } from '../ports.ts';
import { type DemoBundle, demoBundle } from './demo-bundle.ts';

export interface OpenModelOptions {
  /** Bundle folder; none: the demo bundle. */
  readonly model?: string;
  /** PEM public key files to trust for `model` (required with it). */
  readonly trustedKeyFiles?: readonly string[];
  /** Precision of the demo bundle (int8 or fp32). Default int8. */
  readonly precision?: Precision;
  readonly minModelVersion?: string;
  /**
   * onnxruntime threads. Default intra-op 0 (onnxruntime chooses, one per core): one image at a time
   * here, nothing to share the cores with, unlike the agent (config default 1). Inter-op: the config's.
   */
  readonly intraOpThreads?: number;
  readonly interOpThreads?: number;
  /** Admission limits. Defaults: the agent config's defaults. */
  readonly maxFileBytes?: number;
  readonly maxPixels?: number;
  /** Demo bundle cache folder (tests). */
  readonly demoCacheDir?: string;
}

export interface OpenedModel {
  readonly bundle: VerifiedBundle;
  readonly detector: Detector;
  readonly preparer: ImagePreparer;
  readonly selfTest: SelfTestResult;
  /** Set when the demo bundle and its demo key are in use. */
  readonly demo?: DemoBundle;
  close(): Promise<void>;
}

async function readKeys(files: readonly string[]): Promise<string[]> {
  return Promise.all(
    files.map(async (file) => {
      try {
        return await readFile(file, 'utf8');
      } catch (cause) {
        throw new AgentConfigError('TRUSTED_KEY_UNREADABLE', `--trusted-key ${file} cannot be read`, { cause });
      }
    }),
  );
}

export async function openModel(options: OpenModelOptions = {}): Promise<OpenedModel> {
  const limits = LimitsConfigSchema.parse({});
  const inference = InferenceConfigSchema.parse({});
  let dir: string;
  let trustedKeys: string[];
  let demo: DemoBundle | undefined;
  if (options.model !== undefined) {
    if (!options.trustedKeyFiles || options.trustedKeyFiles.length === 0) {
      throw new AgentConfigError(
        'TRUSTED_KEY_REQUIRED',
        `--model ${options.model}: expected at least one --trusted-key <public key PEM file> to verify its signature`,
      );
    }
    dir = options.model;
    trustedKeys = await readKeys(options.trustedKeyFiles);
  } else {
    demo = await demoBundle({ precision: options.precision, cacheDir: options.demoCacheDir });
    dir = demo.dir;
    trustedKeys = [demo.publicKeyPem];
  }
  const bundle = await verifyModelBundle(dir, {
    trustedKeys,
    ...(options.minModelVersion ? { minModelVersion: options.minModelVersion } : {}),
  });
  const detector = await loadDetector(bundle, {
    intraOpThreads: options.intraOpThreads ?? 0,
    interOpThreads: options.interOpThreads ?? inference.interOpThreads,
    worker: inference.detectorThread === 'worker',
    allowSpinning: inference.allowSpinning,
  });
  const preparer = createSharpImagePreparer({
    maxFileBytes: options.maxFileBytes ?? limits.maxFileBytes,
    maxPixels: options.maxPixels ?? limits.maxPixels,
  });
  try {
    const selfTest = await runSelfTests(bundle, detector, preparer);
    if (!selfTest.passed) {
      throw new ModelIntegrityError(
        'SELF_TEST_FAILED',
        `model bundle ${dir} failed its self-test images: ${selfTest.failures.join('; ')}`,
      );
    }
    return { bundle, detector, preparer, selfTest, ...(demo ? { demo } : {}), close: () => detector.close() };
  } catch (err) {
    await detector.close();
    throw err;
  }
}
