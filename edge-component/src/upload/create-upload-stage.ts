/**
 * The uploader for a configuration (agent-runtime.ts wires it): undefined when `upload.enabled` is
 * false; otherwise the queue under `upload.queue.dir` (default <workDir>/upload) and the target store.
 * The S3 client is loaded only when the target is S3.
 */
import { join } from 'node:path';
import type { AgentConfig } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import { createFolderObjectStore } from './folder-object-store.ts';
import type { ObjectStore } from './object-store.ts';
import { openUploadQueue } from './upload-queue.ts';
import { createUploader, type Uploader } from './uploader.ts';

export async function createUploadStage(
  config: Pick<AgentConfig, 'upload' | 'workDir'>,
  log: Logger,
): Promise<Uploader | undefined> {
  const u = config.upload;
  if (!u.enabled) return undefined;
  const dir = u.queue.dir ?? join(config.workDir, 'upload');
  // Remember at least a day's worth of finished items: the caps' history and the duplicate check.
  const queue = await openUploadQueue({
    dir,
    maxItems: u.queue.maxItems,
    maxBytes: u.queue.maxBytes,
    ledgerCapacity: Math.min(100_000, Math.max(1000, u.caps.perDay)),
    log,
  });
  let store: ObjectStore;
  if (u.target === 'folder') {
    store = createFolderObjectStore(u.folder.dir as string);
  } else {
    const { createS3ObjectStore } = await import('./s3-object-store.ts');
    store = createS3ObjectStore({
      bucket: u.s3.bucket as string,
      ...(u.s3.region !== undefined ? { region: u.s3.region } : {}),
      ...(u.s3.endpoint !== undefined ? { endpoint: u.s3.endpoint } : {}),
    });
  }
  log.info({ store: store.location, queue: dir, okSampleRate: u.okSampleRate, caps: u.caps }, 'uploads on');
  return createUploader({
    queue,
    store,
    prefix: u.prefix,
    okSampleRate: u.okSampleRate,
    caps: u.caps,
    retry: u.retry,
    timeoutMs: u.timeoutMs,
    log: log.child({ stage: 'upload' }),
  });
}
