import { createHash } from 'node:crypto';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ImmutableVersionError, ModelValidationError } from '../src/errors.ts';
import { parseManifestBytes } from '../src/manifest.ts';
import { packageModel } from '../src/package.ts';
import { gdkRecipeValidator } from '../src/recipe/gdk-schema.ts';
import { RecipeSchema } from '../src/recipe/recipe-schema.ts';
import { loadRecipeTemplate } from '../src/recipe/templates.ts';
import { decodeSignature, trustedKey, verifyManifestSignature } from '../src/sign/index.ts';
import { createPemSigner, generateDevKeyPair } from '../src/sign/signers.ts';
import { DEMO_FP32, DEMO_INT8 } from './helpers/fixtures.ts';

const signer = createPemSigner(generateDevKeyPair('ed25519').privateKeyPem);
let clock = 0;
const deps = { signer, now: () => new Date(Date.UTC(2026, 10, 23, 0, 0, clock++)) };
let out: string;

beforeEach(async () => {
  out = await mkdtemp(join(tmpdir(), 'edgeqc-pkg-'));
});
afterEach(async () => {
  await rm(out, { recursive: true, force: true });
});

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest();

describe('packageModel', () => {
  it('writes a signed bundle whose recipe digests equal the artifacts and which validates against both schemas', async () => {
    const img = join(out, 'ok sample.png');
    await writeFile(img, Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'));
    const r = await packageModel(deps, {
      modelPath: DEMO_INT8,
      name: 'tag-scratch',
      version: '1.0.0',
      source: 'arn:aws:sagemaker:eu-west-1:123456789012:model-package/tag-scratch/1',
      thresholds: { defect: 0.6 },
      selfTest: [{ path: img, expectedVerdict: 'ok' }],
      outDir: out,
      bucket: 'my-artifacts',
    });
    expect(r.reused).toBe(false);
    expect(r.component).toBe('com.edgeqc.Model.tag-scratch');
    expect(r.manifest).toMatchObject({
      precision: 'int8',
      opset: 17,
      classes: ['scratch'],
      input: { name: 'images', shape: [1, 3, 800, 800] },
      output: { name: 'output0', shape: [1, 5, 13125] },
      thresholds: { defect: 0.6, review: 0.25 },
      selfTest: [{ file: 'selftest-1-ok_sample.png', expectedVerdict: 'ok' }],
    });
    expect((await readdir(r.bundleDir)).sort()).toEqual([
      'manifest.json',
      'manifest.sig',
      'model.onnx',
      'selftest-1-ok_sample.png',
    ]);

    const manifestBytes = await readFile(join(r.bundleDir, 'manifest.json'));
    expect(parseManifestBytes(manifestBytes)).toEqual(r.manifest);
    const sig = decodeSignature(await readFile(join(r.bundleDir, 'manifest.sig')));
    const key = trustedKey(await signer.publicKey());
    expect(verifyManifestSignature(manifestBytes, sig, [key]).keyId).toBe(key.keyId);

    const recipe = JSON.parse(await readFile(r.recipePath, 'utf8'));
    expect(RecipeSchema.parse(recipe)).toEqual(r.recipe);
    const artifacts = recipe.Manifests[0].Artifacts as Array<{ Uri: string; Digest: string }>;
    expect(artifacts).toHaveLength(4);
    for (const a of artifacts) {
      const file = a.Uri.split('/').at(-1) as string;
      expect(a.Uri).toBe(`s3://my-artifacts/components/com.edgeqc.Model.tag-scratch/1.0.0/${file}`);
      expect(a.Digest).toBe(sha256(await readFile(join(r.bundleDir, file))).toString('base64'));
    }
    expect(JSON.stringify(recipe.Manifests[0].Lifecycle)).toBe('{}');
    const verdict = gdkRecipeValidator()(recipe);
    expect(verdict.errors).toEqual([]);
  });

  it('names the model it delivers in its configuration (name, version, model sha256), as the signed manifest does', async () => {
    const r = await packageModel(deps, { modelPath: DEMO_INT8, name: 'tag-scratch', version: '3.1.0', outDir: out });
    expect(r.recipe.ComponentConfiguration?.DefaultConfiguration).toEqual({
      modelName: 'tag-scratch',
      modelVersion: '3.1.0',
      modelSha256: sha256(await readFile(DEMO_INT8)).toString('hex'),
    });
    expect(r.manifest).toMatchObject({
      name: 'tag-scratch',
      version: '3.1.0',
      model: { sha256: r.manifest.model.sha256 },
    });
    expect(r.manifest.model.sha256).toBe(sha256(await readFile(DEMO_INT8)).toString('hex'));
  });

  it('sets every configuration key the inference recipe reads from the model component', async () => {
    const r = await packageModel(deps, { modelPath: DEMO_INT8, name: 'tag-scratch', version: '1.0.0', outDir: out });
    const inference = JSON.stringify(await loadRecipeTemplate('inference-component'));
    const pointers = [...inference.matchAll(/\{\{\{modelComponent\}\}:configuration:\/([A-Za-z0-9]+)\}/g)].map(
      (m) => m[1],
    );
    expect(pointers.sort()).toEqual(['modelName', 'modelSha256', 'modelVersion']);
    const config = r.recipe.ComponentConfiguration?.DefaultConfiguration as Record<string, unknown>;
    for (const key of pointers) expect(config[key as string], key).toEqual(expect.any(String));
  });

  it('detects fp32 from the graph', async () => {
    const r = await packageModel(deps, {
      modelPath: DEMO_FP32,
      name: 'tag-scratch-fp32',
      version: '0.1.0',
      outDir: out,
    });
    expect(r.manifest.precision).toBe('fp32');
  });

  it('is a no-op returning the existing result when the same version is packaged again with the same bytes', async () => {
    const opts = { modelPath: DEMO_INT8, name: 'tag-scratch', version: '1.2.3', outDir: out };
    const first = await packageModel(deps, opts);
    const sigBefore = await readFile(join(first.bundleDir, 'manifest.sig'));
    const again = await packageModel(deps, opts);
    expect(again.reused).toBe(true);
    expect(again.manifest).toEqual(first.manifest);
    expect(again.recipe).toEqual(first.recipe);
    expect(await readFile(join(first.bundleDir, 'manifest.sig'))).toEqual(sigBefore);
  });

  it('refuses the same name and version with different bytes and leaves the existing version untouched', async () => {
    const first = await packageModel(deps, {
      modelPath: DEMO_INT8,
      name: 'tag-scratch',
      version: '2.0.0',
      outDir: out,
    });
    const before = await readFile(join(first.bundleDir, 'manifest.json'));
    await expect(
      packageModel(deps, { modelPath: DEMO_FP32, name: 'tag-scratch', version: '2.0.0', outDir: out }),
    ).rejects.toBeInstanceOf(ImmutableVersionError);
    await expect(
      packageModel(deps, {
        modelPath: DEMO_INT8,
        name: 'tag-scratch',
        version: '2.0.0',
        outDir: out,
        thresholds: { iou: 0.4 },
      }),
    ).rejects.toThrow(/already packaged with different content/);
    expect(await readFile(join(first.bundleDir, 'manifest.json'))).toEqual(before);
  });

  it('writes nothing when the model is not a valid ONNX file', async () => {
    const bad = join(out, 'bad.onnx');
    await writeFile(bad, 'this is not a model');
    await expect(
      packageModel(deps, { modelPath: bad, name: 'bad', version: '1.0.0', labels: ['x'], outDir: join(out, 'o') }),
    ).rejects.toBeInstanceOf(ModelValidationError);
    expect(await readdir(out)).toEqual(['bad.onnx']);
  });

  it('refuses labels that do not match the output rows', async () => {
    const model = join(out, 'm.onnx');
    await copyFile(DEMO_INT8, model);
    await expect(
      packageModel(deps, { modelPath: model, name: 'two', version: '1.0.0', labels: ['a', 'b'], outDir: out }),
    ).rejects.toThrow(/4 \+ 1 classes.*but 2 labels/);
  });

  it('refuses a bad version or name before reading the model', async () => {
    await expect(
      packageModel(deps, { modelPath: DEMO_INT8, name: 'Tag Scratch', version: '1.0.0', outDir: out }),
    ).rejects.toThrow(/model name 'Tag Scratch'/);
    await expect(packageModel(deps, { modelPath: DEMO_INT8, name: 'tag', version: 'v1', outDir: out })).rejects.toThrow(
      /version 'v1'/,
    );
  });
});

describe('packageModel refuses bad inputs before writing', () => {
  it('refuses a self-test image that is not a JPEG or PNG', async () => {
    const img = join(out, 'fake.jpg');
    await writeFile(img, 'GIF89a not really');
    await expect(
      packageModel(deps, {
        modelPath: DEMO_INT8,
        name: 'x',
        version: '1.0.0',
        outDir: join(out, 'o'),
        selfTest: [{ path: img, expectedVerdict: 'ok' }],
      }),
    ).rejects.toThrow(/neither a JPEG nor a PNG/);
    expect(await readdir(out)).toEqual(['fake.jpg']);
  });

  it('refuses a signer whose signature does not verify with the public key it reports', async () => {
    const other = createPemSigner(generateDevKeyPair('ed25519').privateKeyPem);
    const liar = { sign: signer.sign, publicKey: other.publicKey };
    await expect(
      packageModel({ signer: liar }, { modelPath: DEMO_INT8, name: 'x', version: '1.0.0', outDir: join(out, 'o') }),
    ).rejects.toThrow(/not among the 1 trusted key/);
  });
});
