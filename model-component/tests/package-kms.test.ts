import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageModel } from '../src/package.ts';
import { decodeSignature, trustedKey, verifyManifestSignature } from '../src/sign/index.ts';
import { createKmsSigner } from '../src/sign/signers.ts';
import { DEMO_INT8 } from './helpers/fixtures.ts';
import { type MotoServer, startMotoServer } from './helpers/moto-server.ts';

let moto: MotoServer;
let client: KMSClient;
let out: string;
beforeAll(async () => {
  moto = await startMotoServer();
  client = new KMSClient({
    endpoint: moto.endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  out = await mkdtemp(join(tmpdir(), 'edgeqc-kms-pkg-'));
});
afterAll(async () => {
  client?.destroy();
  await moto?.stop();
  await rm(out, { recursive: true, force: true });
});

describe('packageModel with the AWS KMS signer (moto_server)', () => {
  it('writes a bundle whose manifest.sig verifies with the KMS public key', async () => {
    const key = await client.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }));
    const signer = createKmsSigner({ keyId: key.KeyMetadata?.Arn ?? '', client });
    const r = await packageModel(
      { signer },
      { modelPath: DEMO_INT8, name: 'tag-scratch', version: '3.0.0', outDir: out },
    );
    const bytes = await readFile(join(r.bundleDir, 'manifest.json'));
    const sig = decodeSignature(await readFile(join(r.bundleDir, 'manifest.sig')));
    expect(sig.algorithm).toBe('ECDSA_SHA_256');
    expect(verifyManifestSignature(bytes, sig, [trustedKey(await signer.publicKey())]).algorithm).toBe('ECDSA_SHA_256');
  });
});
