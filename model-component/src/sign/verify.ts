import { type KeyObject, verify } from 'node:crypto';
import { SignatureError } from '../errors.ts';
import { algorithmOf, keyIdOf, type ManifestSignature } from './signature.ts';

/** A public key the verifier trusts, indexed by its key id. */
export interface TrustedKey {
  readonly keyId: string;
  readonly algorithm: 'ECDSA_SHA_256' | 'ED25519';
  readonly publicKey: KeyObject;
}

export function trustedKey(publicKey: KeyObject): TrustedKey {
  return { keyId: keyIdOf(publicKey), algorithm: algorithmOf(publicKey), publicKey };
}

/**
 * Verifies a signature over exactly `message` (the manifest.json bytes) against a set of trusted keys.
 * Returns the key that verified; throws SignatureError with code UNKNOWN_KEY, ALGORITHM_MISMATCH or
 * SIGNATURE_INVALID.
 */
export function verifyManifestSignature(
  message: Uint8Array,
  signature: ManifestSignature,
  trusted: readonly TrustedKey[],
): TrustedKey {
  const key = trusted.find((k) => k.keyId === signature.keyId);
  if (!key) {
    throw new SignatureError(
      'UNKNOWN_KEY',
      `manifest.sig was made by key ${signature.keyId}, which is not among the ${trusted.length} trusted key(s)`,
    );
  }
  if (key.algorithm !== signature.algorithm) {
    throw new SignatureError(
      'ALGORITHM_MISMATCH',
      `manifest.sig says ${signature.algorithm} but trusted key ${key.keyId} is ${key.algorithm}`,
    );
  }
  const sigBytes = Buffer.from(signature.signature, 'base64');
  const ok =
    key.algorithm === 'ED25519'
      ? verify(null, message, key.publicKey, sigBytes)
      : verify('sha256', message, { key: key.publicKey, dsaEncoding: 'der' }, sigBytes);
  if (!ok) {
    throw new SignatureError('SIGNATURE_INVALID', `manifest.sig does not verify with trusted key ${key.keyId}`);
  }
  return key;
}
