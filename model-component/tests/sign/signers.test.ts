import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeSignature, encodeSignature, trustedKey, verifyManifestSignature } from '../../src/sign/index.ts';
import { createKmsSigner, createPemSigner, generateDevKeyPair } from '../../src/sign/signers.ts';
import { type MotoServer, motoClientConfig, startMotoServer } from '../helpers/moto-server.ts';

const message = new TextEncoder().encode('{\n  "name": "tag-scratch"\n}\n');

describe('local PEM signer', () => {
  for (const type of ['ed25519', 'ecdsa-p256'] as const) {
    it(`signs with a ${type} development key so that verifyManifestSignature accepts it`, async () => {
      const pair = generateDevKeyPair(type);
      const signer = createPemSigner(pair.privateKeyPem);
      const sig = decodeSignature(encodeSignature(await signer.sign(message)));
      expect(sig.keyId).toBe(pair.keyId);
      expect(sig.algorithm).toBe(type === 'ed25519' ? 'ED25519' : 'ECDSA_SHA_256');
      const key = trustedKey(await signer.publicKey());
      expect(verifyManifestSignature(message, sig, [key]).keyId).toBe(pair.keyId);
      const tampered = new Uint8Array(message);
      tampered[5] = 0x41;
      expect(() => verifyManifestSignature(tampered, sig, [key])).toThrow(/does not verify/);
    });
  }

  it('refuses a private key that is not PEM', () => {
    expect(() => createPemSigner('not a key')).toThrow(/not a PEM private key/);
  });
});

describe('AWS KMS signer (against moto_server)', () => {
  let moto: MotoServer;
  let client: KMSClient;
  beforeAll(async () => {
    moto = await startMotoServer();
    client = new KMSClient(motoClientConfig(moto));
  });
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
