/**
 * Signer adapter: an asymmetric AWS KMS key (KeySpec ECC_NIST_P256, KeyUsage SIGN_VERIFY), signing
 * with ECDSA_SHA_256. Messages up to 4096 bytes go as MessageType RAW (KMS hashes them); larger ones as
 * their SHA-256 with MessageType DIGEST (same signature; moto's emulator mishandles DIGEST). KMS returns a DER signature, which is
 * what manifest.sig carries for ECDSA_SHA_256.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { SignatureError } from '../errors.ts';
import { algorithmOf, keyIdOf, type ManifestSignature, SIGNATURE_SCHEMA_ID } from './signature.ts';
import type { Signer } from './signer.ts';

/** KMS Sign accepts at most 4096 bytes of RAW message; larger manifests are sent as their SHA-256 DIGEST. */
const KMS_RAW_MESSAGE_LIMIT_BYTES = 4096;

export interface KmsSignerOptions {
  /** Key id, key ARN, alias name or alias ARN. */
  readonly keyId: string;
  /** Default: a new KMSClient with the SDK's default region and credential chain. */
  readonly client?: Pick<KMSClient, 'send'>;
}

export function createKmsSigner(options: KmsSignerOptions): Signer {
  const client = options.client ?? new KMSClient({});
  let cached: Promise<{ publicKey: KeyObject; arn: string }> | undefined;

  const load = async () => {
    const out = await client.send(new GetPublicKeyCommand({ KeyId: options.keyId }));
    if (!out.PublicKey) {
      throw new SignatureError('KMS_KEY_UNUSABLE', `KMS GetPublicKey for ${options.keyId} returned no public key`);
    }
    // Some emulators fill only the deprecated CustomerMasterKeySpec; the key itself is checked below too.
    const spec = out.KeySpec ?? out.CustomerMasterKeySpec;
    const publicKey = createPublicKey({ key: Buffer.from(out.PublicKey), format: 'der', type: 'spki' });
    const p256 = publicKey.asymmetricKeyType === 'ec' && algorithmOf(publicKey) === 'ECDSA_SHA_256';
    if ((spec !== undefined && spec !== 'ECC_NIST_P256') || out.KeyUsage !== 'SIGN_VERIFY' || !p256) {
      throw new SignatureError(
        'KMS_KEY_UNUSABLE',
        `KMS key ${options.keyId} is ${spec ?? publicKey.asymmetricKeyType}/${out.KeyUsage}: expected ECC_NIST_P256/SIGN_VERIFY`,
      );
    }
    return { publicKey, arn: out.KeyId ?? options.keyId };
  };
  const key = () => {
    cached ??= load().catch((err: unknown) => {
      cached = undefined;
      throw err;
    });
    return cached;
  };

  return {
    async publicKey() {
      return (await key()).publicKey;
    },
    async sign(message: Uint8Array): Promise<ManifestSignature> {
      const { publicKey, arn } = await key();
      const raw = message.length <= KMS_RAW_MESSAGE_LIMIT_BYTES;
      const out = await client.send(
        new SignCommand({
          KeyId: options.keyId,
          Message: raw ? message : createHash('sha256').update(message).digest(),
          MessageType: raw ? 'RAW' : 'DIGEST',
          SigningAlgorithm: 'ECDSA_SHA_256',
        }),
      );
      if (!out.Signature || out.Signature.length === 0) {
        throw new SignatureError('KMS_SIGN_FAILED', `KMS Sign with ${options.keyId} returned no signature`);
      }
      return {
        schema: SIGNATURE_SCHEMA_ID,
        algorithm: 'ECDSA_SHA_256',
        keyId: keyIdOf(publicKey),
        signer: out.KeyId ?? arn,
        signature: Buffer.from(out.Signature).toString('base64'),
      };
    },
  };
}
