/** The local PEM signer (the KMS signer against moto: sim/tests/aws/kms-signer.test.ts). */
import { describe, expect, it } from 'vitest';
import { decodeSignature, encodeSignature, trustedKey, verifyManifestSignature } from '../../src/sign/index.ts';
import { createPemSigner, generateDevKeyPair } from '../../src/sign/signers.ts';

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
