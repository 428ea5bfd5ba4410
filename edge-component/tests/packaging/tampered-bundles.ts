/**
 * Tampered copies of a bundle produced by packageModel, one per way the agent must refuse (the agent
 * issue's list). Each case is a folder beside the others; `minModelVersion` is set for the case that
 * only fails because the configuration pins a newer model.
 */
import { cp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { canonicalManifestBytes, type Manifest, parseManifestBytes } from '@edgeqc/model-component/manifest';
import { encodeSignature, type Signer } from '@edgeqc/model-component/signature';

export interface TamperCase {
  readonly name: string;
  readonly dir: string;
  readonly minModelVersion?: string;
}

export interface TamperSources {
  /** A good bundle (version >= 1.0.0). */
  readonly good: string;
  /** A good bundle of ANOTHER model (other bytes), same signer. */
  readonly other: string;
  /** A good, older bundle (version < the good one's) of the same model name, same signer. */
  readonly older: string;
  /** A signer the device does not trust. */
  readonly stranger: Signer;
}

async function copyOf(src: string, work: string, name: string): Promise<string> {
  const dir = join(work, name);
  await cp(src, dir, { recursive: true });
  return dir;
}

async function editManifest(dir: string, edit: (m: Manifest) => Manifest): Promise<void> {
  const m = parseManifestBytes(await readFile(join(dir, 'manifest.json')));
  await writeFile(join(dir, 'manifest.json'), canonicalManifestBytes(edit(m)));
}

export async function makeTamperedBundles(src: TamperSources, work: string): Promise<TamperCase[]> {
  const cases: TamperCase[] = [];

  const flipped = await copyOf(src.good, work, 'model-byte-flipped');
  const model = await readFile(join(flipped, 'model.onnx'));
  model[Math.floor(model.length / 2)] = (model[Math.floor(model.length / 2)] ?? 0) ^ 0x01;
  await writeFile(join(flipped, 'model.onnx'), model);
  cases.push({ name: 'one flipped byte in the model', dir: flipped });

  const truncated = await copyOf(src.good, work, 'model-truncated');
  await truncate(join(truncated, 'model.onnx'), Math.floor(model.length * 0.6));
  cases.push({ name: 'truncated model', dir: truncated });

  const hashEdited = await copyOf(src.good, work, 'manifest-hash-edited');
  await editManifest(hashEdited, (m) => ({ ...m, model: { ...m.model, sha256: 'f'.repeat(64) } }));
  cases.push({ name: 'manifest edited (model hash)', dir: hashEdited });

  const classesEdited = await copyOf(src.good, work, 'manifest-classes-edited');
  await editManifest(classesEdited, (m) => ({ ...m, classes: ['not-a-scratch'] }));
  cases.push({ name: 'manifest edited (classes)', dir: classesEdited });

  const thresholdsEdited = await copyOf(src.good, work, 'manifest-thresholds-edited');
  await editManifest(thresholdsEdited, (m) => ({ ...m, thresholds: { ...m.thresholds, defect: 0.99, review: 0.99 } }));
  cases.push({ name: 'manifest edited (thresholds)', dir: thresholdsEdited });

  const stranger = await copyOf(src.good, work, 'signature-unknown-key');
  const bytes = await readFile(join(stranger, 'manifest.json'));
  await writeFile(join(stranger, 'manifest.sig'), encodeSignature(await src.stranger.sign(bytes)));
  cases.push({ name: 'signature from an unknown key', dir: stranger });

  const unsigned = await copyOf(src.good, work, 'signature-missing');
  await rm(join(unsigned, 'manifest.sig'));
  cases.push({ name: 'signature missing', dir: unsigned });

  const garbled = await copyOf(src.good, work, 'signature-garbled');
  await writeFile(join(garbled, 'manifest.sig'), '{"schema": "edgeqc.manifest-signature.v1"');
  cases.push({ name: 'signature file not JSON', dir: garbled });

  const swapped = await copyOf(src.good, work, 'manifest-of-another-model');
  await cp(join(src.other, 'manifest.json'), join(swapped, 'manifest.json'));
  await cp(join(src.other, 'manifest.sig'), join(swapped, 'manifest.sig'));
  cases.push({ name: 'manifest (validly signed) of another model', dir: swapped });

  const goodVersion = parseManifestBytes(await readFile(join(src.good, 'manifest.json'))).version;
  const older = await copyOf(src.older, work, 'older-signed-model');
  cases.push({ name: 'older signed model below the pinned minimum version', dir: older, minModelVersion: goodVersion });

  return cases;
}
