import type { KeyObject } from 'node:crypto';
import type { ManifestSignature } from './signature.ts';

/**
 * Port: something that signs manifest bytes. Adapters: a local PEM private key (Ed25519 or ECDSA
 * P-256) and AWS KMS (ECC_NIST_P256, ECDSA_SHA_256).
 */
export interface Signer {
  /** The signer's public key (SPKI), so that a verifier can be given it. */
  publicKey(): Promise<KeyObject>;
  /** Signs exactly `message` and returns the manifest.sig document. */
  sign(message: Uint8Array): Promise<ManifestSignature>;
}
