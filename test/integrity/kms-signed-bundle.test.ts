/**
 * Packaging issue: a bundle signed through the AWS KMS adapter (an ECC_NIST_P256 key in moto's KMS)
 * verifies on the agent with the key's public half as its trusted key, and the agent still refuses
 * it after one byte of its manifest changed, or with only a stranger's key trusted.
 */
import { generateKeyPairSync } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { verifyModelBundle } from '@edgeqc/edge-component/integrity';
import { packageModel } from '@edgeqc/model-component/package';
import { decodeSignature } from '@edgeqc/model-component/signature';
import { createKmsSigner } from '@edgeqc/model-component/signers';
import { type MotoServer, startMotoServer } from '@edgeqc/sim/moto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MODEL = new URL('../../model-component/models/tag-scratch/model.int8.onnx', import.meta.url).pathname;

let moto: MotoServer;
let client: KMSClient;
let work: string;
let bundleDir: string;
let kmsPem: string;

beforeAll(async () => {
  moto = await startMotoServer({ region: 'eu-west-1' });
  client = new KMSClient(moto.config);
  work = await mkdtemp(join(tmpdir(), 'edgeqc-kms-agent-'));
  const key = await client.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }));
  const signer = createKmsSigner({ keyId: key.KeyMetadata?.Arn ?? '', client });
  kmsPem = (await signer.publicKey()).export({ format: 'pem', type: 'spki' }).toString();
  const r = await packageModel(
    { signer },
    { modelPath: MODEL, name: 'tag-scratch', version: '4.1.0', outDir: join(work, 'out') },
  );
  bundleDir = r.bundleDir;
});

afterAll(async () => {
  client?.destroy();
  await moto?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('a KMS-signed model bundle on the agent', () => {
  it('verifies with the KMS public key as the trusted key', async () => {
    const sig = decodeSignature(await readFile(join(bundleDir, 'manifest.sig')));
    expect(sig.algorithm).toBe('ECDSA_SHA_256');
    const v = await verifyModelBundle(bundleDir, { trustedKeys: [kmsPem] });
    expect(v.manifest.name).toBe('tag-scratch');
    expect(v.manifest.version).toBe('4.1.0');
    const modelBytes = await readFile(MODEL);
    expect(v.modelBytes.length).toBe(modelBytes.length);
  });

  it('is refused when only a stranger key is trusted', async () => {
    const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .publicKey.export({ format: 'pem', type: 'spki' })
      .toString();
    await expect(verifyModelBundle(bundleDir, { trustedKeys: [stranger] })).rejects.toMatchObject({
      name: 'ModelIntegrityError',
      code: 'UNKNOWN_KEY',
    });
  });

  it('is refused after its manifest was edited (threshold changed), though the KMS key is trusted', async () => {
    const copy = join(work, 'edited');
    await cp(bundleDir, copy, { recursive: true });
    const manifest = JSON.parse(await readFile(join(copy, 'manifest.json'), 'utf8')) as {
      thresholds: { defect: number };
    };
    manifest.thresholds.defect = 0.99;
    await writeFile(join(copy, 'manifest.json'), JSON.stringify(manifest));
    await expect(verifyModelBundle(copy, { trustedKeys: [kmsPem] })).rejects.toMatchObject({
      name: 'ModelIntegrityError',
      code: expect.stringMatching(/SIGNATURE/),
    });
  });
});
