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
 * The bundle carries self-test images from the model's samples/ (two with scratches, two without).
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  MANIFEST_FILE,
  type Manifest,
  type Precision,
  parseManifestBytes,
  SIGNATURE_FILE,
} from '@edgeqc/model-component/manifest';
import {
  decodeSignature,
  keyIdOf,
  parsePublicKeyPem,
  trustedKey,
  verifyManifestSignature,
} from '@edgeqc/model-component/signature';
import { EdgeError } from '../errors.ts';
import type { Logger } from '../log.ts';

/** The repository root (this file is edge-component/src/demo/demo-bundle.ts). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** The demo model's folder in the source tree. */
export const DEMO_MODEL_DIR = join(PROJECT_ROOT, 'model-component', 'models', 'tag-scratch');
/** The demo model's sample images (also what the demo camera drops). */
export const DEMO_SAMPLES_DIR = join(DEMO_MODEL_DIR, 'samples');
export const DEMO_MODEL_NAME = 'tag-scratch';
/** Version of the demo bundle: a pre-release, so that any released model is newer. */
export const DEMO_MODEL_VERSION = '0.0.0-demo';
export const DEMO_PUBLIC_KEY_FILE = 'demo-public-key.pem';
const SELF_TEST_COUNT = 4;

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

/** The demo bundle cannot be made (the demo model is missing from this checkout, packaging failed...). */
export class DemoBundleError extends EdgeError {}

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

async function build(outDir: string, modelDir: string, modelPath: string, log?: Logger): Promise<DemoBundle> {
  // Loaded only when packaging: the model validator loads onnxruntime and the signers module the AWS SDK.
  const [{ packageModel }, { createPemSigner, generateDevKeyPair }, { selfTestsFromSamples }] = await Promise.all([
    import('@edgeqc/model-component/package'),
    import('@edgeqc/model-component/signers'),
    import('@edgeqc/model-component/self-tests'),
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
        selfTest: await selfTestsFromSamples(join(modelDir, 'samples'), SELF_TEST_COUNT),
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
  const outDir = join(options.cacheDir ?? defaultCacheDir(), `${precision}-${source.sha256.slice(0, 16)}`);
  const bundle = (await cached(outDir, source.sha256)) ?? (await build(outDir, modelDir, source.path, options.log));
  options.log?.warn(
    { keyId: bundle.keyId, bundle: bundle.dir, precision },
    'trusting the demo key for the bundled demo model (development only; pass --model and --trusted-key for a real bundle)',
  );
  return bundle;
}
