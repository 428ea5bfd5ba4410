/**
 * Port: the inspection store the uploader writes to (S3, or a local folder with the same layout).
 *
 * `put` stores one object under a key and never overwrites one: when the key already holds an object
 * (an upload tried again after a crash or a lost answer) it resolves 'exists' and the store is
 * unchanged, so nothing is ever written twice. It rejects with UploadError: UPLOAD_REFUSED when the store
 * will never take this object (the item is set aside), UPLOAD_PUT_FAILED for anything that may pass
 * (network, throttling, credentials not there yet, access denied until a policy is fixed).
 */
export interface StoredObject {
  readonly key: string;
  readonly body: Uint8Array;
  readonly contentType: string;
  /** S3 user metadata (x-amz-meta-*): thing, verdict, model-version. */
  readonly metadata: Readonly<Record<string, string>>;
}

export interface ObjectStore {
  /** Where objects go, for logs and the demo's output (s3://bucket or a folder path). */
  readonly location: string;
  put(object: StoredObject, signal: AbortSignal): Promise<'stored' | 'exists'>;
  close(): Promise<void>;
}
