import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MANIFEST_FILE, parseManifestBytes, SIGNATURE_FILE } from '@edgeqc/model-component/manifest';
import {
  decodeSignature,
  parsePublicKeyPem,
  trustedKey,
  verifyManifestSignature,
} from '@edgeqc/model-component/signature';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_MODEL_DIR, DEMO_PUBLIC_KEY_FILE, demoBundle } from '../../src/demo/demo-bundle.ts';

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
    expect(manifest.selfTest.map((t) => t.expectedVerdict).sort()).toEqual(['defect', 'defect', 'ok', 'ok']);
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
