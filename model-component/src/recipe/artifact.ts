/** Greengrass artifact entries: immutable S3 URIs under a versioned prefix, with SHA-256 digests. */
import { RecipeError } from '../errors.ts';
import type { RecipeArtifact } from './recipe-schema.ts';

/** Where artifacts go when no bucket is given (the one-machine mode's local artifact store uses it as a name). */
export const DEFAULT_ARTIFACT_BUCKET = 'edgeqc-artifacts';

export function artifactKey(component: string, version: string, file: string): string {
  if (file.includes('/') || file.startsWith('.')) {
    throw new RecipeError(
      'ARTIFACT_NAME',
      `artifact file name '${file}' must be a plain file name (Greengrass puts artifacts in one folder)`,
    );
  }
  return `components/${component}/${version}/${file}`;
}

export function s3ArtifactUri(bucket: string, component: string, version: string, file: string): string {
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new RecipeError('ARTIFACT_BUCKET', `bucket '${bucket}' is not a valid S3 bucket name`);
  }
  return `s3://${bucket}/${artifactKey(component, version, file)}`;
}

/** Greengrass' Digest is the base64 of the SHA-256 bytes; we keep hex everywhere else. */
export function sha256HexToDigest(hex: string): string {
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new RecipeError('ARTIFACT_DIGEST', `'${hex}' is not a SHA-256 hex digest`);
  return Buffer.from(hex, 'hex').toString('base64');
}

export interface ArtifactFile {
  readonly name: string;
  readonly sha256: string;
  readonly unarchive?: 'NONE' | 'ZIP';
  readonly execute?: 'NONE' | 'OWNER' | 'ALL';
}

export function artifactEntry(bucket: string, component: string, version: string, file: ArtifactFile): RecipeArtifact {
  return {
    Uri: s3ArtifactUri(bucket, component, version, file.name),
    Digest: sha256HexToDigest(file.sha256),
    Algorithm: 'SHA-256',
    Unarchive: file.unarchive ?? 'NONE',
    Permission: { Read: 'OWNER', Execute: file.execute ?? 'NONE' },
  };
}
