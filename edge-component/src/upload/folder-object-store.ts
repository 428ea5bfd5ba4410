/**
 * The local folder target (the one-machine world; `edgeqc review` reads it): each key is a relative
 * path under `root`, the same layout as the bucket. An object is written to a temporary file, fsync'ed,
 * and linked to its name with link(2), which fails when the name exists: a key already written is never
 * replaced ('exists'), and a reader never sees half a file. The S3 metadata is not kept (the .json
 * message beside the image holds all of it).
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, rm } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { syncDir } from '../adapters/outbox/segment-files.ts';
import { hasCode, UploadError } from '../errors.ts';
import type { ObjectStore } from './object-store.ts';

const KEY = /^[A-Za-z0-9:_.-]+(\/[A-Za-z0-9:_.-]+)*$/;

export function createFolderObjectStore(root: string): ObjectStore {
  const base = resolve(root);
  return {
    location: base,
    async put(object, signal) {
      if (!KEY.test(object.key) || object.key.split('/').some((part) => part === '..' || part === '.')) {
        throw new UploadError('UPLOAD_REFUSED', `key ${JSON.stringify(object.key)}: expected a relative path`);
      }
      signal.throwIfAborted();
      const target = join(base, ...object.key.split('/'));
      if (!target.startsWith(base + sep)) {
        throw new UploadError('UPLOAD_REFUSED', `key ${JSON.stringify(object.key)}: outside ${base}`);
      }
      const dir = dirname(target);
      const temp = join(dir, `.${randomBytes(6).toString('hex')}.tmp`);
      try {
        await mkdir(dir, { recursive: true });
        const handle = await open(temp, 'wx');
        try {
          await handle.writeFile(object.body);
          await handle.sync();
        } finally {
          await handle.close();
        }
        try {
          await link(temp, target);
        } catch (err) {
          if (hasCode(err, 'EEXIST')) return 'exists';
          throw err;
        }
        await syncDir(dir);
        return 'stored';
      } catch (cause) {
        throw new UploadError('UPLOAD_PUT_FAILED', `${target} could not be written`, { cause });
      } finally {
        await rm(temp, { force: true });
      }
    },
    close: async () => undefined,
  };
}
