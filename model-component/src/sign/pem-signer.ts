/**
 * Signer adapter: a local PEM private key (PKCS#8), Ed25519 or ECDSA P-256. For development and for
 * the one-machine mode; production signs through AWS KMS (kms-signer.ts).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { SignatureError } from '../errors.ts';
import { algorithmOf, keyIdOf, type ManifestSignature, SIGNATURE_SCHEMA_ID } from './signature.ts';
import type { Signer } from './signer.ts';

export type DevKeyType = 'ed25519' | 'ecdsa-p256';

export interface PemSignerOptions {
  /** Informational `signer` field of manifest.sig. Default: `local`. */
  readonly signerName?: string;
}

/** Parses a PEM private key; the error names the label and what was expected. */
export function parsePrivateKeyPem(pem: string, label = 'private key'): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch (cause) {
    throw new SignatureError('KEY_INVALID', `${label} is not a PEM private key (PKCS#8 or SEC1)`, { cause });
  }
  return key;
}

/** A Signer over a local private key (Ed25519 or ECDSA P-256; anything else is refused up front). */
export function createPemSigner(privateKeyPem: string, options: PemSignerOptions = {}): Signer {
  const privateKey = parsePrivateKeyPem(privateKeyPem);
  const publicKey = createPublicKey(privateKey);
  const algorithm = algorithmOf(publicKey);
  const keyId = keyIdOf(publicKey);
  const signerName = options.signerName ?? 'local';
  return {
    async publicKey() {
      return publicKey;
    },
    async sign(message: Uint8Array): Promise<ManifestSignature> {
      const bytes =
        algorithm === 'ED25519'
          ? sign(null, message, privateKey)
          : sign('sha256', message, { key: privateKey, dsaEncoding: 'der' });
      return {
        schema: SIGNATURE_SCHEMA_ID,
        algorithm,
        keyId,
        signer: signerName,
        signature: Buffer.from(bytes).toString('base64'),
      };
    },
  };
}

/** A development key pair as PEM strings (PKCS#8 private, SPKI public) and its key id. */
export function generateDevKeyPair(type: DevKeyType): { privateKeyPem: string; publicKeyPem: string; keyId: string } {
  const pair =
    type === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    privateKeyPem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    keyId: keyIdOf(pair.publicKey),
  };
}
