import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  decodeSignature,
  encodeSignature,
  keyIdOf,
  type ManifestSignature,
  parsePublicKeyPem,
  SIGNATURE_SCHEMA_ID,
  trustedKey,
  verifyManifestSignature,
} from '../../src/sign/index.ts';

const message = new TextEncoder().encode('{"name":"tag-scratch"}\n');

function signWith(kind: 'ed25519' | 'ec') {
  const pair = kind === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const raw =
    kind === 'ed25519'
      ? sign(null, message, pair.privateKey)
      : sign('sha256', message, { key: pair.privateKey, dsaEncoding: 'der' });
  const sig: ManifestSignature = {
    schema: SIGNATURE_SCHEMA_ID,
    algorithm: kind === 'ed25519' ? 'ED25519' : 'ECDSA_SHA_256',
    keyId: keyIdOf(pair.publicKey),
    signer: 'local',
    signature: raw.toString('base64'),
  };
  return { pair, sig };
}

describe('verifyManifestSignature', () => {
  for (const kind of ['ed25519', 'ec'] as const) {
    it(`accepts a ${kind} signature from a trusted key`, () => {
      const { pair, sig } = signWith(kind);
      const key = verifyManifestSignature(message, decodeSignature(encodeSignature(sig)), [trustedKey(pair.publicKey)]);
      expect(key.keyId).toBe(sig.keyId);
    });

    it(`refuses a ${kind} signature over other bytes`, () => {
      const { pair, sig } = signWith(kind);
      const edited = new TextEncoder().encode('{"name":"tag-scratcH"}\n');
      expect(() => verifyManifestSignature(edited, sig, [trustedKey(pair.publicKey)])).toThrowError(
        expect.objectContaining({ code: 'SIGNATURE_INVALID' }),
      );
    });
  }

  it('refuses a signature from a key that is not trusted', () => {
    const { sig } = signWith('ec');
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(() => verifyManifestSignature(message, sig, [trustedKey(other.publicKey)])).toThrowError(
      expect.objectContaining({ code: 'UNKNOWN_KEY' }),
    );
  });

  it('refuses a malformed signature file with a clear error', () => {
    expect(() => decodeSignature(new TextEncoder().encode('not json'))).toThrowError(
      expect.objectContaining({ code: 'SIGNATURE_MALFORMED' }),
    );
  });

  it('refuses public keys of unsupported types', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const pem = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(() => parsePublicKeyPem(pem)).toThrowError(expect.objectContaining({ code: 'KEY_UNSUPPORTED' }));
  });
});
