import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { MANIFEST_FILE, parseManifestBytes, SIGNATURE_FILE } from '@edgeqc/model-component/manifest';
import {
  decodeSignature,
  parsePublicKeyPem,
  trustedKey,
  verifyManifestSignature,
} from '@edgeqc/model-component/signature';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_MODEL_DIR,
  DEMO_PUBLIC_KEY_FILE,
  demoBundle,
  referenceSelfTests,
} from '../../src/demo-model/demo-bundle.ts';

describe('demo bundle (the checked-out demo model, signed by a throw-away demo key)', () => {
  let cacheDir: string;
  beforeAll(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'edgeqc-demo-bundle-'));
  });
  afterAll(async () => {
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('packages the source model with self-test images, signed by the key it returns', async () => {
    const b = await demoBundle({ cacheDir });
    expect(b.reused).toBe(false);
    const manifestBytes = await readFile(join(b.dir, MANIFEST_FILE));
    const sig = decodeSignature(await readFile(join(b.dir, SIGNATURE_FILE)));
    const key = verifyManifestSignature(manifestBytes, sig, [trustedKey(parsePublicKeyPem(b.publicKeyPem))]);
    expect(key.keyId).toBe(b.keyId);
    const manifest = parseManifestBytes(manifestBytes);
    expect(manifest.precision).toBe('int8');
    const source = await readFile(join(DEMO_MODEL_DIR, 'model.int8.onnx'));
    expect(manifest.model.sizeBytes).toBe(source.length);
    const expected = await referenceSelfTests(DEMO_MODEL_DIR, manifest.model.sha256);
    expect(manifest.selfTest.map((t) => [t.file.replace(/^selftest-\d+-/, ''), t.expectedVerdict])).toEqual(
      expected.map((t) => [basename(t.path), t.expectedVerdict]),
    );
    // No private key is written next to the bundle: only the public one.
    const pem = await readFile(join(b.dir, '..', '..', '..', DEMO_PUBLIC_KEY_FILE), 'utf8');
    expect(pem).toContain('BEGIN PUBLIC KEY');
    expect(pem).not.toContain('PRIVATE');
  });

  it('reuses the cached bundle while it verifies, and repackages with a new key when it was edited', async () => {
    const first = await demoBundle({ cacheDir });
    const again = await demoBundle({ cacheDir });
    expect(again.reused).toBe(true);
    expect(again.keyId).toBe(first.keyId);
    const manifestPath = join(first.dir, MANIFEST_FILE);
    const text = await readFile(manifestPath, 'utf8');
    await writeFile(manifestPath, text.replace('"review": 0.25', '"review": 0.05'));
    const rebuilt = await demoBundle({ cacheDir });
    expect(rebuilt.reused).toBe(false);
    expect(rebuilt.keyId).not.toBe(first.keyId);
  });

  it('names the missing demo model and the way out when the checkout has none', async () => {
    await expect(demoBundle({ cacheDir, modelDir: join(cacheDir, 'nowhere') })).rejects.toMatchObject({
      code: 'DEMO_MODEL_MISSING',
      message: expect.stringContaining('--trusted-key'),
    });
  });
});

describe('demo self-test images: from the reference outputs recorded for this very model', () => {
  it('takes matching references away from the thresholds, with the verdict their scores give', async () => {
    const modelDir = await mkdtemp(join(tmpdir(), 'edgeqc-refs-'));
    try {
      await mkdir(join(modelDir, 'reference'));
      const sha = 'a'.repeat(64);
      const ref = (image: string, scores: number[], modelSha256 = sha) =>
        JSON.stringify({ image, modelSha256, detections: scores.map((score) => ({ score })) });
      const files: Record<string, string> = {
        'a-clean.json': ref('samples/a-clean.jpg', [0.01, 0.02]),
        'b-scratch.json': ref('samples/b-scratch.jpg', [0.91, 0.3]),
        'c-borderline.json': ref('samples/c-borderline.jpg', [0.47]),
        'd-other-model.json': ref('samples/d.jpg', [0.95], 'b'.repeat(64)),
        'e-outside.json': ref('../outside.jpg', [0.95]),
        'f-unclear.json': ref('samples/f.png', [0.37]),
        'g-none.json': ref('samples/g.jpg', []),
        'h-broken.json': '{ not json',
      };
      for (const [name, text] of Object.entries(files)) await writeFile(join(modelDir, 'reference', name), text);
      const picked = await referenceSelfTests(modelDir, sha);
      expect(picked.map((p) => [basename(p.path), p.expectedVerdict])).toEqual([
        ['a-clean.jpg', 'ok'],
        ['b-scratch.jpg', 'defect'],
        ['f.png', 'unclear'],
        ['g.jpg', 'ok'],
      ]);
      expect(await referenceSelfTests(modelDir, 'c'.repeat(64))).toEqual([]);
    } finally {
      await rm(modelDir, { recursive: true, force: true });
    }
  });
});
