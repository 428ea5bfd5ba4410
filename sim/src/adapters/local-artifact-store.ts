/**
 * The one-machine artifact store: S3 URIs `s3://<bucket>/<key>` map to `<root>/<bucket>/<key>`.
 * Immutable like the versioned, prefix-per-version bucket in AWS: writing a key again with the same
 * bytes is a no-op, with different bytes an error. Devices read artifacts from it by recipe URI.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { ErrorNames, RolloutError } from '@edgeqc/orchestrator/errors';
import type { ArtifactStore, StoredObject } from '@edgeqc/orchestrator/ports';
import { LocalAdapterError } from '../errors.ts';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

export class LocalArtifactStore implements ArtifactStore {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** The file behind an s3:// URI (inside the store root, or an error). */
  pathOf(uri: string): string {
    const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/.exec(uri);
    if (!m) throw new LocalAdapterError('ARTIFACT_URI', `artifact URI '${uri}': expected s3://<bucket>/<key>`);
    const path = resolve(join(this.root, m[1]!, m[2]!));
    if (!path.startsWith(this.root + sep) || m[2]!.split('/').some((p) => p === '..' || p === '')) {
      throw new LocalAdapterError('ARTIFACT_URI', `artifact URI '${uri}' names a key outside the store`);
    }
    return path;
  }

  /** Stores bytes under a URI, immutably. */
  async put(uri: string, bytes: Uint8Array): Promise<StoredObject & { reused: boolean; sha256: string }> {
    const path = this.pathOf(uri);
    const existing = await readFile(path).catch(() => undefined);
    const hash = sha256(bytes);
    const stored = { uri, sizeBytes: bytes.length, sha256: hash };
    if (existing) {
      if (sha256(existing) === hash) return { ...stored, reused: true };
      throw new RolloutError(
        ErrorNames.VersionConflict,
        'ARTIFACT_IMMUTABLE',
        `${uri} already holds different bytes (sha256 ${sha256(existing)}, now ${hash}): artifacts are immutable, publish a new version`,
      );
    }
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.tmp-${randomUUID()}`;
    try {
      await writeFile(tmp, bytes);
      await rename(tmp, path);
    } finally {
      await rm(tmp, { force: true });
    }
    return { ...stored, reused: false };
  }

  async putFile(uri: string, file: string): Promise<StoredObject & { reused: boolean }> {
    return this.put(uri, await readFile(file));
  }

  async get(uri: string): Promise<Uint8Array> {
    const path = this.pathOf(uri);
    try {
      return await readFile(path);
    } catch (cause) {
      throw new LocalAdapterError('ARTIFACT_NOT_FOUND', `no artifact at ${uri} (looked in ${path})`, { cause });
    }
  }

  async head(uri: string): Promise<StoredObject | undefined> {
    const bytes = await readFile(this.pathOf(uri)).catch(() => undefined);
    return bytes && { uri, sizeBytes: bytes.length, sha256: sha256(bytes) };
  }
}
