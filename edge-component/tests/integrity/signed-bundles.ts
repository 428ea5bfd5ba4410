/**
 * Real signed bundles for the integrity and model-manager tests, made by packageModel from the demo
 * model (model-component/models/tag-scratch): a good Ed25519 bundle, the same model signed by an ECDSA
 * P-256 key (the kind AWS KMS holds), an older version, another model (the FP32 export), and a stranger
 * signer the device does not trust. Nothing is hard-coded about the model: it is read at test time.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageModel } from '@edgeqc/model-component/package';
import { createPemSigner, generateDevKeyPair } from '@edgeqc/model-component/signers';

export const DEMO_DIR = fileURLToPath(new URL('../../../model-component/models/tag-scratch/', import.meta.url));
export const DEMO_INT8 = join(DEMO_DIR, 'model.int8.onnx');
export const DEMO_FP32 = join(DEMO_DIR, 'model.fp32.onnx');
export const MODEL_NAME = 'tag-scratch';
export const GOOD_VERSION = '1.2.0';
export const OLDER_VERSION = '1.1.0';

export interface SignedBundles {
  readonly root: string;
  /** Ed25519-signed, version GOOD_VERSION, INT8, with one self-test image. */
  readonly good: string;
  /** The same model and version signed with ECDSA P-256. */
  readonly goodEcdsa: string;
  /** Version OLDER_VERSION of the same model, same Ed25519 signer. */
  readonly older: string;
  /** Another model (the FP32 export), same Ed25519 signer. */
  readonly other: string;
  readonly ed25519: { readonly publicKeyPem: string; readonly keyId: string };
  readonly ecdsa: { readonly publicKeyPem: string; readonly keyId: string };
  /** A signer no test trusts. */
  readonly stranger: ReturnType<typeof createPemSigner>;
  readonly strangerPublicKeyPem: string;
}

const fixedClock = () => new Date(Date.UTC(2026, 10, 23, 0, 0, 0));

export async function makeSignedBundles(root?: string): Promise<SignedBundles> {
  const dir = root ?? (await mkdtemp(join(tmpdir(), 'edgeqc-bundles-')));
  const edKeys = generateDevKeyPair('ed25519');
  const ecKeys = generateDevKeyPair('ecdsa-p256');
  const strangerKeys = generateDevKeyPair('ed25519');
  const ed = { signer: createPemSigner(edKeys.privateKeyPem), now: fixedClock };
  const ec = { signer: createPemSigner(ecKeys.privateKeyPem), now: fixedClock };
  const selfTest = [{ path: join(DEMO_DIR, 'samples', 'clean-01.jpg'), expectedVerdict: 'ok' as const }];
  const labels = ['scratch'];
  const base = { modelPath: DEMO_INT8, name: MODEL_NAME, labels };
  const [good, goodEcdsa, older, other] = await Promise.all([
    packageModel(ed, { ...base, version: GOOD_VERSION, selfTest, outDir: join(dir, 'ed') }),
    packageModel(ec, { ...base, version: GOOD_VERSION, selfTest, outDir: join(dir, 'ec') }),
    packageModel(ed, { ...base, version: OLDER_VERSION, outDir: join(dir, 'ed') }),
    packageModel(ed, {
      ...base,
      modelPath: DEMO_FP32,
      name: 'tag-scratch-fp32',
      version: GOOD_VERSION,
      outDir: join(dir, 'ed'),
    }),
  ]);
  return {
    root: dir,
    good: good.bundleDir,
    goodEcdsa: goodEcdsa.bundleDir,
    older: older.bundleDir,
    other: other.bundleDir,
    ed25519: { publicKeyPem: edKeys.publicKeyPem, keyId: edKeys.keyId },
    ecdsa: { publicKeyPem: ecKeys.publicKeyPem, keyId: ecKeys.keyId },
    stranger: createPemSigner(strangerKeys.privateKeyPem),
    strangerPublicKeyPem: strangerKeys.publicKeyPem,
  };
}
