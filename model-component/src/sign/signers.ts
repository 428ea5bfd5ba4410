/** Signer adapters (kept apart from ./index.ts so that the agent's verifier never loads the AWS SDK). */
export { createKmsSigner, type KmsSignerOptions } from './kms-signer.ts';
export {
  createPemSigner,
  type DevKeyType,
  generateDevKeyPair,
  type PemSignerOptions,
  parsePrivateKeyPem,
} from './pem-signer.ts';
