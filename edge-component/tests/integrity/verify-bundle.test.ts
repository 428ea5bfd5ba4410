import { createHash } from 'node:crypto';
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseManifestBytes } from '@edgeqc/model-component/manifest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentConfigError, ModelIntegrityError } from '../../src/errors.ts';
import { verifyModelBundle } from '../../src/integrity/verify-bundle.ts';
import { makeTamperedBundles, type TamperCase } from '../packaging/tampered-bundles.ts';
import { GOOD_VERSION, makeSignedBundles, OLDER_VERSION, type SignedBundles } from './signed-bundles.ts';

let b: SignedBundles;
let cases: TamperCase[];

beforeAll(async () => {
  b = await makeSignedBundles();
  cases = await makeTamperedBundles(
    { good: b.good, other: b.other, older: b.older, stranger: b.stranger },
    join(b.root, 'tampered'),
  );
}, 60_000);
afterAll(async () => {
  await rm(b.root, { recursive: true, force: true });
});

async function refusal(dir: string, options: Parameters<typeof verifyModelBundle>[1]): Promise<ModelIntegrityError> {
  const err = await verifyModelBundle(dir, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `${dir} should be refused`).toBeInstanceOf(ModelIntegrityError);
  return err as ModelIntegrityError;
}

describe('verifyModelBundle', () => {
  it('accepts a good Ed25519 bundle and returns the very bytes it hashed', async () => {
    const v = await verifyModelBundle(b.good, { trustedKeys: [b.ed25519.publicKeyPem], minModelVersion: '1.0.0' });
    const onDisk = await readFile(join(b.good, 'model.onnx'));
    expect(Buffer.from(v.modelBytes).equals(onDisk)).toBe(true);
    expect(v.modelSha256).toBe(createHash('sha256').update(onDisk).digest('hex'));
    expect(v.modelSha256).toBe(v.manifest.model.sha256);
    expect(v.keyId).toBe(b.ed25519.keyId);
    expect(v.manifest).toEqual(parseManifestBytes(await readFile(join(b.good, 'manifest.json'))));
    expect(v.manifest.version).toBe(GOOD_VERSION);
    expect(v.dir).toBe(b.good);
    expect(v.modelPath).toBe(join(b.good, 'model.onnx'));
  });

  it('accepts a good ECDSA P-256 bundle (as KMS signs) with several trusted keys', async () => {
    const v = await verifyModelBundle(b.goodEcdsa, {
      trustedKeys: [b.ed25519.publicKeyPem, b.ecdsa.publicKeyPem],
    });
    expect(v.keyId).toBe(b.ecdsa.keyId);
  });

  it('refuses a good bundle when its signer is not trusted (UNKNOWN_KEY), naming the bundle and the trusted keys', async () => {
    const err = await refusal(b.goodEcdsa, { trustedKeys: [b.ed25519.publicKeyPem] });
    expect(err.code).toBe('UNKNOWN_KEY');
    expect(err.message).toContain(b.goodEcdsa);
    expect(err.message).toContain(b.ed25519.keyId);
  });

  const expected: Record<string, string> = {
    'one flipped byte in the model': 'MODEL_HASH_MISMATCH',
    'truncated model': 'MODEL_SIZE_MISMATCH',
    'manifest edited (model hash)': 'SIGNATURE_INVALID',
    'manifest edited (classes)': 'SIGNATURE_INVALID',
    'manifest edited (thresholds)': 'SIGNATURE_INVALID',
    'signature from an unknown key': 'UNKNOWN_KEY',
    'signature missing': 'SIGNATURE_MISSING',
    'signature file not JSON': 'SIGNATURE_INVALID',
    'manifest (validly signed) of another model': 'MODEL_SIZE_MISMATCH',
    'older signed model below the pinned minimum version': 'MODEL_TOO_OLD',
  };

  it('refuses each of the 10 tampered bundles with its code, naming the bundle folder', async () => {
    expect(cases.map((c) => c.name).sort()).toEqual(Object.keys(expected).sort());
    for (const c of cases) {
      const err = await refusal(c.dir, { trustedKeys: [b.ed25519.publicKeyPem], minModelVersion: c.minModelVersion });
      expect({ case: c.name, code: err.code }).toEqual({ case: c.name, code: expected[c.name] });
      expect(err.message).toContain(c.dir);
    }
  });

  it('says what was expected', async () => {
    const byName = new Map(cases.map((c) => [c.name, c]));
    const opts = { trustedKeys: [b.ed25519.publicKeyPem] };
    const truncated = await refusal(byName.get('truncated model')?.dir as string, opts);
    expect(truncated.message).toMatch(/model\.onnx is \d+ bytes, the manifest says \d+/);
    const flipped = await refusal(byName.get('one flipped byte in the model')?.dir as string, opts);
    expect(flipped.message).toMatch(/model\.onnx has SHA-256 [0-9a-f]{64}, the manifest says [0-9a-f]{64}/);
    const older = byName.get('older signed model below the pinned minimum version') as TamperCase;
    const old = await refusal(older.dir, { ...opts, minModelVersion: older.minModelVersion });
    expect(old.message).toContain(`is below the minimum version ${GOOD_VERSION}`);
    const missing = await refusal(byName.get('signature missing')?.dir as string, opts);
    expect(missing.message).toContain('manifest.sig is missing');
  });

  it('checks the signature before it parses the manifest: a signed-looking manifest that is not JSON is a signature failure', async () => {
    const dir = join(b.root, 'manifest-garbage');
    await cp(b.good, dir, { recursive: true });
    await writeFile(join(dir, 'manifest.json'), '{ not json');
    expect((await refusal(dir, { trustedKeys: [b.ed25519.publicKeyPem] })).code).toBe('SIGNATURE_INVALID');
  });

  it('refuses a bundle with a missing model or manifest, or no bundle at all (BUNDLE_MISSING_FILE)', async () => {
    for (const file of ['model.onnx', 'manifest.json']) {
      const dir = join(b.root, `missing-${file}`);
      await cp(b.good, dir, { recursive: true });
      await rm(join(dir, file));
      const err = await refusal(dir, { trustedKeys: [b.ed25519.publicKeyPem] });
      expect(err.code).toBe('BUNDLE_MISSING_FILE');
      expect(err.message).toContain(`${file} is missing`);
    }
    const none = await refusal(join(b.root, 'no-such-bundle'), { trustedKeys: [b.ed25519.publicKeyPem] });
    expect(none.code).toBe('BUNDLE_MISSING_FILE');
    expect(none.message).toContain('no-such-bundle is not a folder');
  });

  it('refuses a bundle whose self-test image was swapped (SELF_TEST_FAILED)', async () => {
    const dir = join(b.root, 'self-test-swapped');
    await cp(b.good, dir, { recursive: true });
    const manifest = parseManifestBytes(await readFile(join(dir, 'manifest.json')));
    const file = manifest.selfTest[0]?.file as string;
    expect(file).toBeTruthy();
    const bytes = await readFile(join(dir, file));
    bytes[bytes.length - 10] = (bytes[bytes.length - 10] ?? 0) ^ 0xff;
    await writeFile(join(dir, file), bytes);
    const err = await refusal(dir, { trustedKeys: [b.ed25519.publicKeyPem] });
    expect(err.code).toBe('SELF_TEST_FAILED');
    expect(err.message).toContain(file);
  });

  it('refuses unusable trusted keys as a configuration error', async () => {
    await expect(verifyModelBundle(b.good, { trustedKeys: [] })).rejects.toBeInstanceOf(AgentConfigError);
    await expect(verifyModelBundle(b.good, { trustedKeys: ['not a key'] })).rejects.toThrow(/trustedKeys\[0\]/);
  });
});

describe('verifyModelBundle against what the deployment says it delivers (model.expect)', () => {
  const keys = () => [b.ed25519.publicKeyPem];
  const shaOf = async (dir: string) =>
    createHash('sha256')
      .update(await readFile(join(dir, 'model.onnx')))
      .digest('hex');

  it('accepts a bundle whose signed manifest has the expected name, version and model sha256', async () => {
    const sha256 = await shaOf(b.good);
    const v = await verifyModelBundle(b.good, {
      trustedKeys: keys(),
      expect: { name: 'tag-scratch', version: GOOD_VERSION, sha256 },
    });
    expect(v.manifest.version).toBe(GOOD_VERSION);
  });

  it('refuses an old signed bundle re-wrapped under a newer component version, naming expected and found', async () => {
    const err = await refusal(b.older, {
      trustedKeys: keys(),
      expect: { name: 'tag-scratch', version: '2.0.0', sha256: await shaOf(b.older) },
    });
    expect(err.code).toBe('MODEL_EXPECTATION_MISMATCH');
    expect(err.message).toContain(b.older);
    expect(err.message).toContain(`version ${OLDER_VERSION}, expected 2.0.0`);
    expect(err.message).not.toContain('model sha256');
  });

  it('refuses another model under the expected name and version, and another name, listing every difference', async () => {
    const goodSha = await shaOf(b.good);
    const otherSha = await shaOf(b.other);
    const err = await refusal(b.other, {
      trustedKeys: keys(),
      expect: { name: 'tag-scratch', version: GOOD_VERSION, sha256: goodSha },
    });
    expect(err.code).toBe('MODEL_EXPECTATION_MISMATCH');
    expect(err.message).toContain('name tag-scratch-fp32, expected tag-scratch');
    expect(err.message).toContain(`model sha256 ${otherSha}, expected ${goodSha}`);
  });

  it('checks only the keys given', async () => {
    await expect(
      verifyModelBundle(b.older, { trustedKeys: keys(), expect: { name: 'tag-scratch' } }),
    ).resolves.toMatchObject({ manifest: { version: OLDER_VERSION } });
  });
});
