/**
 * The uploader (the package's `./upload` entry): the inspection store's key layout (which the review
 * app reads), the upload policy, the durable queue, the two stores and the stage itself.
 */

export { createUploadStage } from './create-upload-stage.ts';
export { createFolderObjectStore } from './folder-object-store.ts';
export type { ObjectStore, StoredObject } from './object-store.ts';
export { createS3ObjectStore, type S3ObjectStoreOptions } from './s3-object-store.ts';
export { type UploadImageFormat, type UploadKeys, uploadKeys } from './upload-keys.ts';
export { type CapWindows, createCapWindows, isSelected, sampleFraction, type UploadCaps } from './upload-policy.ts';
export { openUploadQueue, type UploadQueue, type UploadQueueOptions } from './upload-queue.ts';
export { createUploader, type OfferOutcome, type Uploader, type UploadOffer, type UploadSink } from './uploader.ts';
