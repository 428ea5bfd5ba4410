/**
 * Puts a component's artifacts into the device's packages folder the way the nucleus does: copy each
 * from the artifact source, check its Digest (base64 SHA-256; ARTIFACT_CHECKSUM_MISMATCH otherwise),
 * set the execute bit when asked, and unpack `Unarchive: ZIP` artifacts into
 * artifacts-unarchived/<component>/<version>/<archive name>/. Artifacts already present with the
 * right digest are kept (versions are immutable), and so is an archive's unpacked folder when this device
 * unpacked exactly those bytes before: redeploying a component version (a new model beside the same agent,
 * a rollback, a restore) does not unpack its archives again.
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { unzipToDir } from '@edgeqc/edge-component/packaging';
import { LocalDeviceError } from '../errors.ts';
import type { DeviceLayout } from './device-layout.ts';
import type { DeviceArtifact } from './device-recipe.ts';

/** Device-side port: reads an artifact by its recipe URI (the local artifact store implements it). */
export interface ArtifactSource {
  get(uri: string): Promise<Uint8Array>;
}

const digestOf = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('base64');

async function readIfPresent(path: string): Promise<Uint8Array | undefined> {
  return readFile(path).catch(() => undefined);
}

/**
 * Beside an unpacked archive, the digest of the bytes it was unpacked from, written once the unpacking
 * finished: an unpacking cut short (the process killed) leaves no marker and is redone.
 */
const unpackedMarker = (target: string) => `${target}.unpacked`;

async function unpackedFrom(target: string, out: string): Promise<string | undefined> {
  const [marker, folder] = await Promise.all([
    readFile(unpackedMarker(target), 'utf8').catch(() => undefined),
    stat(out).catch(() => undefined),
  ]);
  return folder?.isDirectory() ? marker : undefined;
}

export async function fetchArtifacts(
  source: ArtifactSource,
  layout: DeviceLayout,
  component: string,
  version: string,
  artifacts: readonly DeviceArtifact[],
): Promise<void> {
  const dir = layout.artifacts(component, version);
  await mkdir(dir, { recursive: true });
  for (const a of artifacts) {
    const name = basename(a.Uri);
    const target = join(dir, name);
    const present = await readIfPresent(target);
    let bytes = present;
    let digest = present ? digestOf(present) : '';
    if (!present || (a.Digest && digest !== a.Digest)) {
      try {
        bytes = await source.get(a.Uri);
      } catch (cause) {
        throw new LocalDeviceError('ARTIFACT_DOWNLOAD', `${component} ${version}: cannot fetch artifact ${a.Uri}`, {
          cause,
        });
      }
      digest = digestOf(bytes);
      if (a.Digest && digest !== a.Digest) {
        throw new LocalDeviceError(
          'ARTIFACT_CHECKSUM_MISMATCH',
          `${component} ${version}: artifact ${name} has SHA-256 ${digest}, its recipe says ${a.Digest}`,
        );
      }
      await writeFile(target, bytes);
    }
    if (a.Permission?.Execute && a.Permission.Execute !== 'NONE') await chmod(target, 0o755);
    if (a.Unarchive === 'ZIP') {
      const out = join(layout.decompressed(component, version), name.replace(/\.zip$/i, ''));
      if (bytes === present && (await unpackedFrom(target, out)) === digest) continue;
      await rm(unpackedMarker(target), { force: true });
      await rm(out, { recursive: true, force: true });
      try {
        await unzipToDir(target, out);
      } catch (cause) {
        throw new LocalDeviceError('ARTIFACT_UNARCHIVE', `${component} ${version}: cannot unpack ${name}`, { cause });
      }
      await writeFile(unpackedMarker(target), digest);
    }
  }
  await mkdir(layout.decompressed(component, version), { recursive: true });
}
