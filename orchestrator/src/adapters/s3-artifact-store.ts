/**
 * ArtifactStore over S3. Immutability: PutObject with If-None-Match: * (S3 conditional write); when the
 * key exists, the stored bytes are compared (by the sha256 metadata we write, else by content):
 * the same bytes are reused, different bytes are a VersionConflict.
 */
import { createHash } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ErrorNames, RolloutError } from '../errors.ts';
import type { ArtifactStore, StoredObject } from '../ports.ts';
import { awsCall, isAwsError, parseS3Uri } from './aws-errors.ts';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const SHA_META = 'sha256';

export function createS3ArtifactStore(client: Pick<S3Client, 'send'> = new S3Client({})): ArtifactStore {
  const head = async (uri: string): Promise<StoredObject | undefined> => {
    const { bucket, key } = parseS3Uri(uri);
    try {
      const out = await awsCall(`S3 HeadObject ${uri}`, () =>
        client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })),
      );
      return { uri, sizeBytes: out.ContentLength ?? 0, sha256: out.Metadata?.[SHA_META] };
    } catch (err) {
      if (isAwsError(err, 'NotFound', 'NoSuchKey')) return undefined;
      throw err;
    }
  };
  const get = async (uri: string): Promise<Uint8Array> => {
    const { bucket, key } = parseS3Uri(uri);
    try {
      const out = await awsCall(`S3 GetObject ${uri}`, () =>
        client.send(new GetObjectCommand({ Bucket: bucket, Key: key })),
      );
      if (!out.Body) throw new Error('empty body');
      return await out.Body.transformToByteArray();
    } catch (err) {
      if (isAwsError(err, 'NoSuchKey', 'NotFound', 'NoSuchBucket')) {
        throw new RolloutError(ErrorNames.ModelNotFound, 'ARTIFACT_NOT_FOUND', `nothing stored at ${uri}`, {
          cause: err,
        });
      }
      throw err;
    }
  };
  return {
    head,
    get,
    async put(uri, bytes, options) {
      const { bucket, key } = parseS3Uri(uri);
      const hash = sha256(bytes);
      const reuse = async () => {
        const existing = await head(uri);
        if (!existing) return undefined;
        const same = existing.sha256 ? existing.sha256 === hash : sha256(await get(uri)) === hash;
        if (!same) {
          throw new RolloutError(
            ErrorNames.VersionConflict,
            'ARTIFACT_IMMUTABLE',
            `${uri} already holds different bytes (sha256 ${existing.sha256 ?? 'unknown'}, now ${hash}): artifacts are immutable, publish a new version`,
          );
        }
        return { uri, sizeBytes: bytes.length, sha256: hash, reused: true };
      };
      const before = await reuse();
      if (before) return before;
      try {
        await awsCall(`S3 PutObject ${uri}`, () =>
          client.send(
            new PutObjectCommand({
              Bucket: bucket,
              Key: key,
              Body: bytes,
              IfNoneMatch: '*',
              ContentType: options?.contentType ?? 'application/octet-stream',
              ChecksumSHA256: Buffer.from(hash, 'hex').toString('base64'),
              Metadata: { [SHA_META]: hash },
            }),
          ),
        );
      } catch (err) {
        // Someone wrote the key between our check and our write.
        if (isAwsError(err, 'PreconditionFailed', 'ConditionalRequestConflict')) {
          const raced = await reuse();
          if (raced) return raced;
        }
        throw err;
      }
      return { uri, sizeBytes: bytes.length, sha256: hash, reused: false };
    },
  };
}
