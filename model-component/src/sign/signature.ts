/**
 * manifest.sig: a small JSON document that carries one signature over the manifest bytes.
 *
 * - `ECDSA_SHA_256`: ECDSA on P-256 over SHA-256 of the manifest bytes, DER-encoded signature
 *   (what AWS KMS `Sign` returns for an ECC_NIST_P256 key with SigningAlgorithm ECDSA_SHA_256).
 * - `ED25519`: pure Ed25519 over the manifest bytes (local development keys).
 *
 * `keyId` is `sha256:<hex>` of the signer's public key in SPKI DER form, so a verifier finds the
 * trusted key without trusting anything else in the file. `signer` is informational only
 * (`local` or a KMS key ARN).
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { SignatureError } from '../errors.ts';

export const SIGNATURE_SCHEMA_ID = 'edgeqc.manifest-signature.v1';

export const SignatureAlgorithmSchema = z.enum(['ECDSA_SHA_256', 'ED25519']);
export type SignatureAlgorithm = z.infer<typeof SignatureAlgorithmSchema>;

export const KeyIdSchema = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'expected sha256:<64 hex digits>');

export const ManifestSignatureSchema = z.strictObject({
  schema: z.literal(SIGNATURE_SCHEMA_ID),
  algorithm: SignatureAlgorithmSchema,
  keyId: KeyIdSchema,
  signer: z.string().min(1).max(2048),
  signature: z.base64().min(1).max(1024),
});
export type ManifestSignature = z.infer<typeof ManifestSignatureSchema>;

/** Key id of a public key: SHA-256 over its SPKI DER encoding. */
export function keyIdOf(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(der).digest('hex')}`;
}

/** Which signature algorithm a public key implies; throws for anything else. */
export function algorithmOf(publicKey: KeyObject): SignatureAlgorithm {
  if (publicKey.asymmetricKeyType === 'ed25519') return 'ED25519';
  if (publicKey.asymmetricKeyType === 'ec' && publicKey.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
    return 'ECDSA_SHA_256';
  }
  const curve = publicKey.asymmetricKeyDetails?.namedCurve;
  throw new SignatureError(
    'KEY_UNSUPPORTED',
    `public key type ${publicKey.asymmetricKeyType}${curve ? ` (${curve})` : ''} is not supported: expected Ed25519 or ECDSA P-256`,
  );
}

/** Parses a PEM (SPKI) public key; the error names what was expected. */
export function parsePublicKeyPem(pem: string, label = 'public key'): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (cause) {
    throw new SignatureError('KEY_INVALID', `${label} is not a PEM public key (SPKI)`, { cause });
  }
  algorithmOf(key);
  return key;
}

/** Serialises a signature document (what is written to manifest.sig). */
export function encodeSignature(sig: ManifestSignature): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(ManifestSignatureSchema.parse(sig), null, 2)}\n`);
}

/** Parses manifest.sig bytes. */
export function decodeSignature(bytes: Uint8Array): ManifestSignature {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (cause) {
    throw new SignatureError('SIGNATURE_MALFORMED', 'manifest.sig is not valid UTF-8 JSON', { cause });
  }
  const parsed = ManifestSignatureSchema.safeParse(json);
  if (!parsed.success) {
    throw new SignatureError('SIGNATURE_MALFORMED', `manifest.sig is invalid: ${z.prettifyError(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}
