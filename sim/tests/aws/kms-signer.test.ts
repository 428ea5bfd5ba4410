/** The model-component's AWS KMS signer against moto_server's KMS (started here). */
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { trustedKey, verifyManifestSignature } from '@edgeqc/model-component/signature';
import { createKmsSigner } from '@edgeqc/model-component/signers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MotoServer, startMotoServer } from '../../src/aws/moto-server.ts';

const message = new TextEncoder().encode('{\n  "name": "tag-scratch"\n}\n');

describe('AWS KMS signer (against moto_server)', () => {
  let moto: MotoServer;
  let client: KMSClient;
  beforeAll(async () => {
    moto = await startMotoServer({ region: 'eu-west-1' });
    client = new KMSClient(moto.config);
  }, 60_000);
  afterAll(async () => {
    client?.destroy();
    await moto?.stop();
  });

  it('signs with an ECC_NIST_P256 key and the signature verifies with the existing verifier', async () => {
    const created = await client.send(
      new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY', Description: 'edgeqc test' }),
    );
    const keyArn = created.KeyMetadata?.Arn ?? '';
    const signer = createKmsSigner({ keyId: keyArn, client });
    const sig = await signer.sign(message);
    expect(sig.algorithm).toBe('ECDSA_SHA_256');
    expect(keyArn.endsWith(sig.signer.replace(/^.*key\//, ''))).toBe(true);
    const key = trustedKey(await signer.publicKey());
    expect(verifyManifestSignature(message, sig, [key]).keyId).toBe(sig.keyId);
    expect(() => verifyManifestSignature(new TextEncoder().encode('other'), sig, [key])).toThrow(/does not verify/);
  });

  it('refuses a KMS key that is not ECC_NIST_P256 SIGN_VERIFY', async () => {
    const created = await client.send(new CreateKeyCommand({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' }));
    const signer = createKmsSigner({ keyId: created.KeyMetadata?.KeyId ?? '', client });
    await expect(signer.sign(message)).rejects.toThrow(/expected ECC_NIST_P256\/SIGN_VERIFY/);
  });
});
