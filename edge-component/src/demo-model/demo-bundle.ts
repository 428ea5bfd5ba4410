/**
 * The demo model bundle, out of the box, for `edgeqc inspect` without `--model`, `npm start` and
 * `edgeqc bench`.
 *
 * How its signature is trusted (a development convenience, never a production path):
 * - The demo model (model-component/models/tag-scratch/model.<precision>.onnx) is part of the checked-out
 *   source. Its bytes are the root of trust here, exactly as much as the code that runs.
 * - On first use the model is packaged with `packageModel` into a cache folder (`.work/demo-bundle/`,
 *   gitignored, or `$EDGEQC_DEMO_CACHE`), signed by a fresh Ed25519 key generated for that purpose. The
 *   private key lives only in memory while packaging and is then dropped: it is never written anywhere,
 *   and no private key is committed to the repository. The public key is written beside the bundle
 *   (`demo-public-key.pem`), and the callers trust exactly that one key, logged as a demo key.
 * - On every later use the cached bundle is reused only if its signature verifies with that key AND its
 *   manifest's model sha256 equals the sha256 of the model file in the source tree; otherwise (model
 *   retrained, cache edited, key missing) it is packaged again with a new key. So a bundle served by
 *   the demo is always the checked-out model, and the agent's ordinary verification (hash, size,
 *   signature, self-tests) runs on it as on any other bundle.
 *
 * Self-test images: the samples for which the model folder holds a reference output recorded (in Python,
 * scripts/demo_model/) from this very model file (reference/<sample>.json, matching modelSha256), with
 * the verdict those recorded scores give under the thresholds the bundle's manifest gets (the model's own
 * thresholds.json over the defaults). Samples whose best score lies within 0.1 of a threshold are left
 * out (a sub-pixel difference in resizing could flip them). So the
 * self-test checks that the edge pipeline reproduces what the model's maker recorded; a model without
 * references for it (e.g. the FP32 export) gets no self-test images, and the other checks still apply.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  MANIFEST_FILE,
  type Manifest,
  type Precision,
  parseManifestBytes,
  SIGNATURE_FILE,
  ThresholdsSchema,
  type Verdict,
} from '@edgeqc/model-component/manifest';
import {
  decodeSignature,
  keyIdOf,
  parsePublicKeyPem,
  trustedKey,
  verifyManifestSignature,
} from '@edgeqc/model-component/signature';
import { readModelThresholds } from '@edgeqc/model-component/thresholds-file';
import { z } from 'zod';
import { DemoBundleError } from '../errors.ts';
import type { Logger } from '../log.ts';

/** The repository root (this file is edge-component/src/demo-model/demo-bundle.ts). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** The demo model's folder in the source tree. */
export const DEMO_MODEL_DIR = join(PROJECT_ROOT, 'model-component', 'models', 'tag-scratch');
/** The demo model's sample images (also what the demo camera drops). */
export const DEMO_SAMPLES_DIR = join(DEMO_MODEL_DIR, 'samples');
export const DEMO_MODEL_NAME = 'tag-scratch';
/** Version of the demo bundle: a pre-release, so that any released model is newer. */
export const DEMO_MODEL_VERSION = '0.0.0-demo';
export const DEMO_PUBLIC_KEY_FILE = 'demo-public-key.pem';
const SELF_TEST_MAX = 4;
const THRESHOLD_MARGIN = 0.1;

const ReferenceSchema = z.looseObject({
  image: z.string().min(1),
  modelSha256: z.string(),
  detections: z.array(z.looseObject({ score: z.number() })),
});

export interface DemoBundleOptions {
  /** Default int8 (the model the devices run). */
  readonly precision?: Precision;
  /** Cache folder. Default `$EDGEQC_DEMO_CACHE` or `<repo>/.work/demo-bundle`. */
  readonly cacheDir?: string;
  /** The demo model folder. Default model-component/models/tag-scratch. */
  readonly modelDir?: string;
  readonly log?: Logger;
}

export interface DemoBundle {
  /** The bundle folder: model.onnx, manifest.json, manifest.sig and the self-test images. */
  readonly dir: string;
  /** The demo key to trust (SPKI PEM); its private half no longer exists. */
  readonly publicKeyPem: string;
  /** The same key as a file (for `edgeqc agent --trusted-key`). */
  readonly publicKeyFile: string;
  readonly keyId: string;
  readonly manifest: Manifest;
  /** True when a cached bundle was reused. */
  readonly reused: boolean;
}

export { DemoBundleError };

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function defaultCacheDir(): string {
  return process.env.EDGEQC_DEMO_CACHE ?? join(PROJECT_ROOT, '.work', 'demo-bundle');
}

async function readSourceModel(modelDir: string, precision: Precision): Promise<{ path: string; sha256: string }> {
  const path = join(modelDir, `model.${precision}.onnx`);
  try {
    return { path, sha256: sha256(await readFile(path)) };
  } catch (cause) {
    throw new DemoBundleError(
      'DEMO_MODEL_MISSING',
      `the demo model ${path} cannot be read: the demo bundle needs a source checkout with model-component/models/tag-scratch (or pass --model <bundle dir> --trusted-key <pem>)`,
      { cause },
    );
  }
}

/** The cached bundle in `outDir`, if it is complete, verifies with its demo key and is the source model. */
async function cached(outDir: string, modelSha256: string): Promise<DemoBundle | undefined> {
  const dir = bundleDirOf(outDir);
  try {
    const publicKeyPem = await readFile(join(outDir, DEMO_PUBLIC_KEY_FILE), 'utf8');
    const manifestBytes = await readFile(join(dir, MANIFEST_FILE));
    const signature = decodeSignature(await readFile(join(dir, SIGNATURE_FILE)));
    const key = parsePublicKeyPem(publicKeyPem, DEMO_PUBLIC_KEY_FILE);
    verifyManifestSignature(manifestBytes, signature, [trustedKey(key)]);
    const manifest = parseManifestBytes(manifestBytes);
    if (manifest.model.sha256 !== modelSha256) return undefined;
    return {
      dir,
      publicKeyPem,
      publicKeyFile: join(outDir, DEMO_PUBLIC_KEY_FILE),
      keyId: keyIdOf(key),
      manifest,
      reused: true,
    };
  } catch {
    // Missing, partial or not verifying: the caller packages it again (nothing is trusted from it).
    return undefined;
  }
}

function bundleDirOf(outDir: string): string {
  return join(outDir, 'artifacts', `com.edgeqc.Model.${DEMO_MODEL_NAME}`, DEMO_MODEL_VERSION);
}

/** The JSON in `path`, or undefined when it cannot be read or parsed (a reference we cannot use). */
async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** Self-test images with the verdicts the model's recorded reference outputs give (see the file comment). */
export async function referenceSelfTests(
  modelDir: string,
  modelSha256: string,
): Promise<Array<{ path: string; expectedVerdict: Verdict }>> {
  const thresholds = ThresholdsSchema.parse(await readModelThresholds(modelDir));
  const refDir = join(modelDir, 'reference');
  const names = (await readdir(refDir).catch(() => [] as string[])).filter((f) => f.endsWith('.json')).sort();
  const picked: Array<{ path: string; expectedVerdict: Verdict }> = [];
  for (const name of names) {
    const parsed = ReferenceSchema.safeParse(await readJson(join(refDir, name)));
    if (!parsed.success || parsed.data.modelSha256 !== modelSha256) continue;
    const best = Math.max(0, ...parsed.data.detections.map((d) => d.score));
    const near = [thresholds.review, thresholds.defect].some((t) => Math.abs(best - t) < THRESHOLD_MARGIN);
    const path = resolve(modelDir, parsed.data.image);
    if (near || !path.startsWith(modelDir) || !/\.(jpe?g|png)$/i.test(path)) continue;
    const expectedVerdict: Verdict =
      best >= thresholds.defect ? 'defect' : best >= thresholds.review ? 'unclear' : 'ok';
    picked.push({ path, expectedVerdict });
  }
  // One of each verdict first (a mix tests more), then the rest in name order.
  const firsts = picked.filter((p, i) => picked.findIndex((q) => q.expectedVerdict === p.expectedVerdict) === i);
  return [...firsts, ...picked.filter((p) => !firsts.includes(p))].slice(0, SELF_TEST_MAX);
}

async function build(
  outDir: string,
  modelDir: string,
  source: { path: string; sha256: string },
  selfTest: ReadonlyArray<{ path: string; expectedVerdict: Verdict }>,
  log?: Logger,
): Promise<DemoBundle> {
  const modelPath = source.path;
  // Loaded only when packaging: the model validator loads onnxruntime and the signers module the AWS SDK.
  const [{ packageModel }, { createPemSigner, generateDevKeyPair }] = await Promise.all([
    import('@edgeqc/model-component/package'),
    import('@edgeqc/model-component/signers'),
  ]);
  const keys = generateDevKeyPair('ed25519');
  const tmp = join(dirname(outDir), `.tmp-${randomUUID()}`);
  await mkdir(tmp, { recursive: true });
  try {
    const result = await packageModel(
      { signer: createPemSigner(keys.privateKeyPem, { signerName: 'edgeqc-demo' }) },
      {
        modelPath,
        name: DEMO_MODEL_NAME,
        version: DEMO_MODEL_VERSION,
        labels: (await readFile(join(modelDir, 'labels.txt'), 'utf8'))
          .split(/\r?\n/)
          .map((l) => l.trim())
          .filter((l) => l.length > 0),
        selfTest,
        outDir: tmp,
      },
    );
    await writeFile(join(tmp, DEMO_PUBLIC_KEY_FILE), keys.publicKeyPem);
    await rm(outDir, { recursive: true, force: true });
    try {
      await rename(tmp, outDir);
    } catch (cause) {
      // Another process made it at the same moment: use theirs if it is good.
      const theirs = await cached(outDir, result.manifest.model.sha256);
      if (theirs) return theirs;
      throw cause;
    }
    log?.info({ dir: bundleDirOf(outDir), keyId: keys.keyId }, 'demo bundle packaged, signed by a new demo key');
    return {
      dir: bundleDirOf(outDir),
      publicKeyPem: keys.publicKeyPem,
      publicKeyFile: join(outDir, DEMO_PUBLIC_KEY_FILE),
      keyId: keys.keyId,
      manifest: result.manifest,
      reused: false,
    };
  } catch (cause) {
    if (cause instanceof DemoBundleError) throw cause;
    throw new DemoBundleError('DEMO_BUNDLE_FAILED', `packaging the demo model ${modelPath} failed`, { cause });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/**
 * The demo bundle for `precision`, packaged on first use and reused after (see the file comment for
 * how it is trusted). Logs a warning naming the demo key, since trusting it is for demos only.
 */
export async function demoBundle(options: DemoBundleOptions = {}): Promise<DemoBundle> {
  const precision = options.precision ?? 'int8';
  const modelDir = options.modelDir ?? DEMO_MODEL_DIR;
  const source = await readSourceModel(modelDir, precision);
  const selfTests = await referenceSelfTests(modelDir, source.sha256);
  const key = sha256(new TextEncoder().encode(JSON.stringify([source.sha256, selfTests]))).slice(0, 16);
  const outDir = join(options.cacheDir ?? defaultCacheDir(), `${precision}-${key}`);
  const bundle =
    (await cached(outDir, source.sha256)) ?? (await build(outDir, modelDir, source, selfTests, options.log));
  options.log?.warn(
    { keyId: bundle.keyId, bundle: bundle.dir, precision },
    'trusting the demo key for the bundled demo model (development only; pass --model and --trusted-key for a real bundle)',
  );
  return bundle;
}
