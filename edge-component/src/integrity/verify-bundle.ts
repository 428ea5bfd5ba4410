/**
 * verifyModelBundle: the checks a model bundle passes before any inference session is created from it.
 *
 *   1. files present: model.onnx, manifest.json, manifest.sig (BUNDLE_MISSING_FILE, SIGNATURE_MISSING)
 *   2. manifest.sig and manifest.json read as raw bytes
 *   3. the signature over exactly those manifest bytes verifies against one of the trusted keys
 *      (ECDSA P-256/SHA-256 as AWS KMS makes it, or Ed25519) (SIGNATURE_INVALID, UNKNOWN_KEY)
 *   4. only then the manifest is parsed, and must be canonical (MANIFEST_INVALID)
 *   5. model.onnx: its size, then the SHA-256 of its bytes, equal the manifest's
 *      (MODEL_SIZE_MISMATCH, MODEL_HASH_MISMATCH); the file is read once and the session is created
 *      from these very bytes (VerifiedBundle.modelBytes), never by reading the file again
 *   6. self-test images listed in the manifest: present, with the manifest's size and SHA-256
 *      (SELF_TEST_FAILED), so that a tampered self-test cannot vouch for a model
 *   7. the version is at least the configured minimum (MODEL_TOO_OLD), against rollback
 *
 * Between 4 and 5, when the deployment says which model it delivers (`expect`: the model component's
 * name, version and model sha256, handed to the agent by the inference component's recipe), the
 * signed manifest must say the same (MODEL_EXPECTATION_MISMATCH): an old signed bundle re-wrapped
 * under a new component version is refused instead of rolling the device back.
 *
 * Every refusal is a ModelIntegrityError whose message names the bundle folder and what was expected.
 * Checks after loading (input/output against the manifest, a finite probe) are onnx-detector.ts's.
 */
import { createHash } from 'node:crypto';
import { type FileHandle, open, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  compareSemver,
  MANIFEST_FILE,
  type Manifest,
  MODEL_FILE,
  parseManifestBytes,
  SIGNATURE_FILE,
} from '@edgeqc/model-component/manifest';
import {
  decodeSignature,
  type ManifestSignature,
  parsePublicKeyPem,
  type TrustedKey,
  trustedKey,
  verifyManifestSignature,
} from '@edgeqc/model-component/signature';
import type { VerifiedBundle } from '../core/types.ts';
import { AgentConfigError, errorCode, hasCode, ModelIntegrityCode, ModelIntegrityError, messageOf } from '../errors.ts';

export interface VerifyBundleOptions {
  /** PEM public keys (SPKI) of the signers the device trusts; at least one. */
  readonly trustedKeys: readonly string[];
  /** Refuse a bundle whose version is below this (MODEL_TOO_OLD). */
  readonly minModelVersion?: string;
  /** What the signed manifest must say (MODEL_EXPECTATION_MISMATCH); a key left out is not checked. */
  readonly expect?: ModelExpectation;
}

/** The model a deployment delivers, as its model component says (config `model.expect`). */
export interface ModelExpectation {
  readonly name?: string;
  readonly version?: string;
  /** The SHA-256 (hex) of model.onnx. */
  readonly sha256?: string;
}

const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Parses the trusted PEM keys (a bad one is a configuration error, not a bundle's fault). */
export function parseTrustedKeys(pems: readonly string[]): TrustedKey[] {
  if (pems.length === 0) {
    throw new AgentConfigError('CONFIG_INVALID', 'trustedKeys: expected at least one trusted public key, got []');
  }
  return pems.map((pem, i) => {
    try {
      return trustedKey(parsePublicKeyPem(pem, `trustedKeys[${i}]`));
    } catch (cause) {
      throw new AgentConfigError(
        'CONFIG_INVALID',
        `trustedKeys[${i}]: expected a PEM public key (SPKI, Ed25519 or ECDSA P-256)`,
        { cause },
      );
    }
  });
}

async function requireFile(dir: string, name: string, code: ModelIntegrityCode): Promise<void> {
  const st = await stat(join(dir, name)).catch((cause: unknown) => {
    if (hasCode(cause, 'ENOENT', 'ENOTDIR')) return null;
    throw new ModelIntegrityError('BUNDLE_MISSING_FILE', `model bundle ${dir}: cannot read ${name}`, { cause });
  });
  if (st === null) {
    throw new ModelIntegrityError(
      code,
      `model bundle ${dir}: ${name} is missing (expected model.onnx, manifest.json and manifest.sig)`,
    );
  }
  if (!st.isFile()) {
    throw new ModelIntegrityError(code, `model bundle ${dir}: ${name} is not a regular file`);
  }
}

async function readBytes(dir: string, name: string): Promise<Uint8Array> {
  try {
    return await readFile(join(dir, name));
  } catch (cause) {
    throw new ModelIntegrityError('BUNDLE_MISSING_FILE', `model bundle ${dir}: cannot read ${name}`, { cause });
  }
}

function checkSignature(dir: string, manifestBytes: Uint8Array, sigBytes: Uint8Array, keys: TrustedKey[]): string {
  let signature: ManifestSignature;
  try {
    signature = decodeSignature(sigBytes);
  } catch (cause) {
    throw new ModelIntegrityError(
      'SIGNATURE_INVALID',
      `model bundle ${dir}: manifest.sig is malformed (expected an edgeqc.manifest-signature.v1 JSON document): ${messageOf(cause)}`,
      { cause },
    );
  }
  try {
    return verifyManifestSignature(manifestBytes, signature, keys).keyId;
  } catch (cause) {
    // model-component's SignatureError names an unknown key with the same code.
    const code =
      errorCode(cause) === ModelIntegrityCode.UnknownKey
        ? ModelIntegrityCode.UnknownKey
        : ModelIntegrityCode.SignatureInvalid;
    const expected =
      code === ModelIntegrityCode.UnknownKey
        ? `expected a signature by one of ${keys.map((k) => k.keyId).join(', ')}`
        : 'expected a signature over the exact bytes of manifest.json';
    throw new ModelIntegrityError(code, `model bundle ${dir}: ${messageOf(cause)}; ${expected}`, { cause });
  }
}

/** Reads model.onnx once through one file handle: size first (cheap), then the bytes and their hash. */
async function readModel(dir: string, manifest: Manifest): Promise<{ bytes: Uint8Array; sha256: string }> {
  const path = join(dir, MODEL_FILE);
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (cause) {
    throw new ModelIntegrityError('BUNDLE_MISSING_FILE', `model bundle ${dir}: cannot open ${MODEL_FILE}`, { cause });
  }
  try {
    const expected = manifest.model.sizeBytes;
    const { size } = await handle.stat();
    if (size !== expected) {
      throw new ModelIntegrityError(
        'MODEL_SIZE_MISMATCH',
        `model bundle ${dir}: ${MODEL_FILE} is ${size} bytes, the manifest says ${expected}`,
      );
    }
    const bytes = new Uint8Array(expected);
    let filled = 0;
    while (filled < expected) {
      const { bytesRead } = await handle.read(bytes, filled, expected - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    if (filled !== expected) {
      throw new ModelIntegrityError(
        'MODEL_SIZE_MISMATCH',
        `model bundle ${dir}: ${MODEL_FILE} ended after ${filled} bytes while being read, the manifest says ${expected}`,
      );
    }
    const sha256 = sha256Hex(bytes);
    if (sha256 !== manifest.model.sha256) {
      throw new ModelIntegrityError(
        'MODEL_HASH_MISMATCH',
        `model bundle ${dir}: ${MODEL_FILE} has SHA-256 ${sha256}, the manifest says ${manifest.model.sha256}`,
      );
    }
    return { bytes, sha256 };
  } finally {
    await handle.close();
  }
}

/** The manifest against the deployment's expectation, every difference named in one refusal. */
function checkExpectation(dir: string, manifest: Manifest, expect: ModelExpectation | undefined): void {
  if (expect === undefined) return;
  const found = { name: manifest.name, version: manifest.version, sha256: manifest.model.sha256 };
  const differences = (['name', 'version', 'sha256'] as const)
    .filter((key) => expect[key] !== undefined && expect[key] !== found[key])
    .map((key) => `${key === 'sha256' ? 'model sha256' : key} ${found[key]}, expected ${expect[key]}`);
  if (differences.length > 0) {
    throw new ModelIntegrityError(
      'MODEL_EXPECTATION_MISMATCH',
      `model bundle ${dir}: the signed manifest does not describe the model the deployment delivers: ${differences.join('; ')} (model.expect, from the model component's configuration)`,
    );
  }
}

async function checkSelfTestFiles(dir: string, manifest: Manifest): Promise<void> {
  for (const t of manifest.selfTest) {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(join(dir, t.file));
    } catch (cause) {
      throw new ModelIntegrityError(
        'SELF_TEST_FAILED',
        `model bundle ${dir}: self-test image ${t.file} listed in the manifest cannot be read`,
        { cause },
      );
    }
    const sha256 = sha256Hex(bytes);
    if (bytes.length !== t.sizeBytes || sha256 !== t.sha256) {
      throw new ModelIntegrityError(
        'SELF_TEST_FAILED',
        `model bundle ${dir}: self-test image ${t.file} is ${bytes.length} bytes with SHA-256 ${sha256}, the manifest says ${t.sizeBytes} bytes with ${t.sha256}`,
      );
    }
  }
}

/**
 * Verifies the bundle in `dir` (see the file comment for the order of the checks) and returns it with
 * the model bytes that were hashed. Throws ModelIntegrityError; AgentConfigError for unusable keys.
 */
export async function verifyModelBundle(dirGiven: string, options: VerifyBundleOptions): Promise<VerifiedBundle> {
  const dir = resolve(dirGiven);
  const keys = parseTrustedKeys(options.trustedKeys);

  const dirStat = await stat(dir).catch(() => null);
  if (dirStat === null || !dirStat.isDirectory()) {
    throw new ModelIntegrityError(
      'BUNDLE_MISSING_FILE',
      `model bundle ${dir} is not a folder (expected model.onnx, manifest.json and manifest.sig in it)`,
    );
  }
  await requireFile(dir, MODEL_FILE, 'BUNDLE_MISSING_FILE');
  await requireFile(dir, MANIFEST_FILE, 'BUNDLE_MISSING_FILE');
  await requireFile(dir, SIGNATURE_FILE, 'SIGNATURE_MISSING');

  const sigBytes = await readBytes(dir, SIGNATURE_FILE);
  const manifestBytes = await readBytes(dir, MANIFEST_FILE);
  const keyId = checkSignature(dir, manifestBytes, sigBytes, keys);

  let manifest: Manifest;
  try {
    manifest = parseManifestBytes(manifestBytes);
  } catch (cause) {
    throw new ModelIntegrityError(
      'MANIFEST_INVALID',
      `model bundle ${dir}: manifest.json is signed but invalid: ${messageOf(cause)}`,
      { cause },
    );
  }
  if (manifest.model.file !== MODEL_FILE) {
    throw new ModelIntegrityError(
      'MANIFEST_INVALID',
      `model bundle ${dir}: the manifest names model file ${manifest.model.file}, expected ${MODEL_FILE}`,
    );
  }

  checkExpectation(dir, manifest, options.expect);

  const model = await readModel(dir, manifest);
  await checkSelfTestFiles(dir, manifest);

  const min = options.minModelVersion;
  if (min !== undefined && compareSemver(manifest.version, min) < 0) {
    throw new ModelIntegrityError(
      'MODEL_TOO_OLD',
      `model bundle ${dir}: ${manifest.name} version ${manifest.version} is below the minimum version ${min} the configuration pins`,
    );
  }

  return {
    dir,
    manifest,
    modelPath: join(dir, MODEL_FILE),
    modelBytes: model.bytes,
    modelSha256: model.sha256,
    keyId,
  };
}
