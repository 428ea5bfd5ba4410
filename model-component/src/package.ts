/**
 * packageModel: validates an ONNX model and writes a signed Greengrass model component, GDK-style:
 *   <outDir>/artifacts/<component>/<version>/{model.onnx, manifest.json, manifest.sig, self-test images}
 *   <outDir>/recipes/<component>-<version>.json
 * Nothing is written before validation passes; the bundle folder appears by one rename. A version is
 * immutable: the same name and version with different bytes is an ImmutableVersionError, with the same
 * bytes a no-op that returns what is there.
 */
import { createHash, randomUUID } from 'node:crypto';
import { copyFile, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ImmutableVersionError, ManifestError, ModelValidationError } from './errors.ts';
import {
  buildManifest,
  canonicalManifestBytes,
  MANIFEST_FILE,
  type Manifest,
  MODEL_FILE,
  ModelNameSchema,
  modelComponentName,
  parseManifestBytes,
  SemverSchema,
  SIGNATURE_FILE,
  type Verdict,
} from './manifest.ts';
import { type ArtifactFile, DEFAULT_ARTIFACT_BUCKET, s3ArtifactUri } from './recipe/artifact.ts';
import { renderModelRecipe } from './recipe/model-recipe.ts';
import type { Recipe } from './recipe/recipe-schema.ts';
import { loadRecipeTemplate } from './recipe/templates.ts';
import { encodeSignature } from './sign/signature.ts';
import type { Signer } from './sign/signer.ts';
import { trustedKey, verifyManifestSignature } from './sign/verify.ts';
import { readModelThresholds } from './thresholds-file.ts';
import { type ModelLimits, validateModel } from './validate/validate-model.ts';

export interface PackageModelDeps {
  readonly signer: Signer;
  /** Clock for createdAt. Default: the system clock. */
  readonly now?: () => Date;
  /** Recipe template (parsed JSON). Default: recipes/model-component.recipe.json. */
  readonly recipeTemplate?: unknown;
}

export interface SelfTestImage {
  /** Path of an image file (JPEG or PNG). */
  readonly path: string;
  readonly expectedVerdict: Verdict;
}

export interface PackageModelOptions {
  readonly modelPath: string;
  readonly name: string;
  readonly version: string;
  /** Class labels in output order. Default: labels.txt beside the model, one per line. */
  readonly labels?: readonly string[];
  /** Model package ARN, when there is one. */
  readonly source?: string;
  /** Over the model's own defaults (thresholds.json beside the model), which are over the manifest's. */
  readonly thresholds?: Partial<Manifest['thresholds']>;
  readonly selfTest?: readonly SelfTestImage[];
  readonly outDir: string;
  /** S3 bucket of the artifact URIs. Default: `edgeqc-artifacts`. */
  readonly bucket?: string;
  readonly limits?: ModelLimits;
}

export interface PackagedFile {
  readonly name: string;
  readonly path: string;
  readonly sizeBytes: number;
  readonly sha256: string;
  readonly uri: string;
}

export interface PackageModelResult {
  readonly component: string;
  readonly bundleDir: string;
  readonly manifest: Manifest;
  readonly recipe: Recipe;
  readonly recipePath: string;
  readonly files: readonly PackagedFile[];
  /** True when this exact version was already packaged with the same bytes (nothing was written). */
  readonly reused: boolean;
}

const MAX_SELF_TEST_BYTES = 8 * 1024 * 1024;
const IMAGE_EXT = /\.(jpe?g|png)$/i;
const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function readLabels(modelPath: string, given?: readonly string[]): Promise<string[]> {
  if (given) return [...given];
  const file = join(dirname(modelPath), 'labels.txt');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new ModelValidationError('LABELS_MISSING', `no labels given and ${file} cannot be read`, { cause });
  }
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

interface SelfTestFile {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly expectedVerdict: Verdict;
}

async function readSelfTests(images: readonly SelfTestImage[]): Promise<SelfTestFile[]> {
  const out: SelfTestFile[] = [];
  for (const [i, img] of images.entries()) {
    const base = basename(img.path).replace(/[^A-Za-z0-9._-]/g, '_');
    if (!IMAGE_EXT.test(base)) {
      throw new ModelValidationError(
        'SELF_TEST_IMAGE',
        `self-test image ${img.path}: expected a .jpg, .jpeg or .png file`,
      );
    }
    let bytes: Uint8Array;
    try {
      bytes = await readFile(img.path);
    } catch (cause) {
      throw new ModelValidationError('SELF_TEST_IMAGE', `self-test image ${img.path} cannot be read`, { cause });
    }
    const jpeg = bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
    const png = Buffer.from(bytes.subarray(0, 8)).equals(PNG_MAGIC);
    if (!jpeg && !png) {
      throw new ModelValidationError(
        'SELF_TEST_IMAGE',
        `self-test image ${img.path} is neither a JPEG nor a PNG (by its first bytes)`,
      );
    }
    if (bytes.length > MAX_SELF_TEST_BYTES) {
      throw new ModelValidationError(
        'SELF_TEST_IMAGE',
        `self-test image ${img.path} is ${bytes.length} bytes: expected 1..${MAX_SELF_TEST_BYTES}`,
      );
    }
    out.push({ name: `selftest-${i + 1}-${base}`, bytes, expectedVerdict: img.expectedVerdict });
  }
  return out;
}

/** The manifest without its creation time: what "the same bytes" compares. */
function identity(m: Manifest): string {
  return new TextDecoder().decode(canonicalManifestBytes({ ...m, createdAt: '1970-01-01T00:00:00.000Z' }));
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function describeFiles(
  bundleDir: string,
  names: readonly string[],
  bucket: string,
  component: string,
  version: string,
): Promise<PackagedFile[]> {
  return Promise.all(
    names.map(async (name) => {
      const path = join(bundleDir, name);
      const bytes = await readFile(path);
      return {
        name,
        path,
        sizeBytes: bytes.length,
        sha256: sha256(bytes),
        uri: s3ArtifactUri(bucket, component, version, name),
      };
    }),
  );
}

export async function packageModel(deps: PackageModelDeps, options: PackageModelOptions): Promise<PackageModelResult> {
  const name = ModelNameSchema.safeParse(options.name);
  if (!name.success)
    throw new ManifestError('MANIFEST_INVALID', `model name '${options.name}': ${name.error.issues[0]?.message}`);
  const version = SemverSchema.safeParse(options.version);
  if (!version.success)
    throw new ManifestError('MANIFEST_INVALID', `version '${options.version}': ${version.error.issues[0]?.message}`);
  const bucket = options.bucket ?? DEFAULT_ARTIFACT_BUCKET;
  const component = modelComponentName(options.name);

  // 1. Validate everything before writing anything.
  await stat(options.modelPath).catch((cause: unknown) => {
    throw new ModelValidationError('MODEL_NOT_FOUND', `model file ${options.modelPath} cannot be read`, { cause });
  });
  const labels = await readLabels(options.modelPath, options.labels);
  const modelThresholds = await readModelThresholds(dirname(options.modelPath));
  const model = await validateModel(options.modelPath, { classCount: labels.length, limits: options.limits });
  const selfTests = await readSelfTests(options.selfTest ?? []);
  const manifest = buildManifest({
    schema: 'edgeqc.model-manifest.v1',
    name: options.name,
    version: options.version,
    createdAt: (deps.now?.() ?? new Date()).toISOString(),
    source: options.source,
    model: { file: MODEL_FILE, sizeBytes: model.sizeBytes, sha256: model.sha256 },
    input: {
      name: model.input.name,
      shape: model.input.shape,
      dtype: 'float32',
      layout: 'NCHW',
      colorOrder: 'RGB',
      normalization: { mean: [0, 0, 0], std: [255, 255, 255] },
      resize: { mode: 'letterbox', padValue: 114 },
    },
    output: { name: model.output.name, shape: model.output.shape, format: 'yolov8-detect' },
    classes: labels,
    thresholds: { ...modelThresholds, ...options.thresholds },
    precision: model.precision,
    opset: model.opset,
    selfTest: selfTests.map((t) => ({
      file: t.name,
      sizeBytes: t.bytes.length,
      sha256: sha256(t.bytes),
      expectedVerdict: t.expectedVerdict,
    })),
  });
  const fileNames = [MODEL_FILE, MANIFEST_FILE, SIGNATURE_FILE, ...selfTests.map((t) => t.name)];
  const template = deps.recipeTemplate ?? (await loadRecipeTemplate('model-component'));

  const bundleDir = join(options.outDir, 'artifacts', component, options.version);
  const recipePath = join(options.outDir, 'recipes', `${component}-${options.version}.json`);

  // 2. Immutability: an existing version is returned as is when its content is the same.
  const existing = async (): Promise<PackageModelResult | undefined> => {
    if (!(await exists(bundleDir))) return undefined;
    let old: Manifest;
    try {
      old = parseManifestBytes(await readFile(join(bundleDir, MANIFEST_FILE)));
    } catch (cause) {
      throw new ImmutableVersionError(
        'VERSION_EXISTS',
        `${component} ${options.version} already exists at ${bundleDir} with an unreadable manifest`,
        { cause },
      );
    }
    if (identity(old) !== identity(manifest)) {
      throw new ImmutableVersionError(
        'VERSION_EXISTS',
        `${component} ${options.version} was already packaged with different content (model sha256 ${old.model.sha256}, now ${manifest.model.sha256}): publish a new version`,
      );
    }
    const files = await describeFiles(bundleDir, fileNames, bucket, component, options.version);
    const { recipe, bytes } = renderModelRecipe({ template, manifest: old, files, bucket });
    if (!(await exists(recipePath))) {
      await mkdir(dirname(recipePath), { recursive: true });
      await writeFile(recipePath, bytes);
    }
    return { component, bundleDir, manifest: old, recipe, recipePath, files, reused: true };
  };
  const previous = await existing();
  if (previous) return previous;

  // 3. Write into a temporary folder, then rename it into place.
  const manifestBytes = canonicalManifestBytes(manifest);
  const signature = await deps.signer.sign(manifestBytes);
  // A signer that signs with another key than it reports would make bundles every device refuses.
  verifyManifestSignature(manifestBytes, signature, [trustedKey(await deps.signer.publicKey())]);
  const signatureBytes = encodeSignature(signature);
  const planned: ArtifactFile[] = [
    { name: MODEL_FILE, sha256: model.sha256 },
    { name: MANIFEST_FILE, sha256: sha256(manifestBytes) },
    { name: SIGNATURE_FILE, sha256: sha256(signatureBytes) },
    ...selfTests.map((t) => ({ name: t.name, sha256: sha256(t.bytes) })),
  ];
  const { recipe, bytes: recipeFileBytes } = renderModelRecipe({ template, manifest, files: planned, bucket });
  const tmpDir = join(options.outDir, 'artifacts', component, `.tmp-${options.version}-${randomUUID()}`);
  await mkdir(tmpDir, { recursive: true });
  try {
    await copyFile(options.modelPath, join(tmpDir, MODEL_FILE));
    if (sha256(await readFile(join(tmpDir, MODEL_FILE))) !== model.sha256) {
      throw new ModelValidationError(
        'MODEL_CHANGED',
        `model file ${options.modelPath} changed while it was being packaged`,
      );
    }
    await writeFile(join(tmpDir, MANIFEST_FILE), manifestBytes);
    await writeFile(join(tmpDir, SIGNATURE_FILE), signatureBytes);
    for (const t of selfTests) await writeFile(join(tmpDir, t.name), t.bytes);
    try {
      await rename(tmpDir, bundleDir);
    } catch (cause) {
      const raced = await existing();
      if (raced) return raced;
      throw cause;
    }
  } finally {
    await rm(tmpDir, { recursive: true, force: true });
  }

  const files = await describeFiles(bundleDir, fileNames, bucket, component, options.version);
  await mkdir(dirname(recipePath), { recursive: true });
  await writeFile(recipePath, recipeFileBytes);
  return { component, bundleDir, manifest, recipe, recipePath, files, reused: false };
}
