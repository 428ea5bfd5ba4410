/**
 * The S3 target: PutObject with `If-None-Match: *` (an S3 conditional write), so a key that already
 * holds an object is never overwritten: S3 answers 412 Precondition Failed, which is 'exists'. A retried
 * upload therefore writes nothing twice, and the device needs only s3:PutObject (no read to check first).
 *
 * Credentials come from the AWS SDK's default chain. Under Greengrass the inference recipe depends on
 * aws.greengrass.TokenExchangeService, which gives the component AWS_CONTAINER_CREDENTIALS_FULL_URI (and
 * the authorization token); the chain's container provider fetches the token exchange role's temporary
 * credentials from there and refreshes them before they expire. Elsewhere: environment, profile,
 * instance role, as usual. The SDK's own retries are off (maxAttempts 1): the uploader retries the
 * item with its own backoff, and says so in its log.
 */
import { PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { UploadError } from '../errors.ts';
import type { ObjectStore } from './object-store.ts';

export interface S3ObjectStoreOptions {
  readonly bucket: string;
  /** Default: the SDK's (AWS_REGION). */
  readonly region?: string;
  /** Endpoint override (an emulator or an S3-compatible store), addressed path-style. */
  readonly endpoint?: string;
  /** A client of your own (tests); the options above are then ignored. */
  readonly client?: S3Client;
}

/** Errors the same request will always get: set aside instead of retried. */
const PERMANENT = new Set([
  'InvalidArgument',
  'InvalidRequest',
  'EntityTooLarge',
  'KeyTooLongError',
  'MetadataTooLarge',
  'InvalidBucketName',
  'InvalidStorageClass',
]);

export function createS3ObjectStore(options: S3ObjectStoreOptions): ObjectStore {
  const client =
    options.client ??
    new S3Client({
      ...(options.region !== undefined ? { region: options.region } : {}),
      ...(options.endpoint !== undefined ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
      maxAttempts: 1,
    });
  const own = options.client === undefined;
  return {
    location: `s3://${options.bucket}`,
    async put(object, signal) {
      try {
        await client.send(
          new PutObjectCommand({
            Bucket: options.bucket,
            Key: object.key,
            Body: object.body,
            ContentType: object.contentType,
            Metadata: { ...object.metadata },
            IfNoneMatch: '*',
          }),
          { abortSignal: signal },
        );
        return 'stored';
      } catch (err) {
        const status = err instanceof S3ServiceException ? err.$metadata.httpStatusCode : undefined;
        if (status === 412) return 'exists';
        const name = err instanceof Error ? err.name : 'Error';
        const where = `s3://${options.bucket}/${object.key}`;
        if (err instanceof S3ServiceException && PERMANENT.has(err.name)) {
          throw new UploadError('UPLOAD_REFUSED', `${where}: refused by S3 (${name}, HTTP ${status}): ${err.message}`, {
            cause: err,
          });
        }
        throw new UploadError(
          'UPLOAD_PUT_FAILED',
          `${where}: not stored (${name}${status ? `, HTTP ${status}` : ''}): ${err instanceof Error ? err.message : String(err)}`,
          { cause: err },
        );
      }
    },
    async close() {
      if (own) client.destroy();
    },
  };
}
