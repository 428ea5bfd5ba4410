/**
 * A file renamed over a camera file already taken in: the real camera folder source, sharp preparer
 * and folder archive on a real folder. The replacement is never archived under the first image's
 * verdict; it is offered again as a new image.
 */
import { mkdtemp, readdir, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCameraFolderSource } from '../../src/adapters/camera-folder-source.ts';
import { createFolderArchive } from '../../src/adapters/folder-archive.ts';
import { createSharpImagePreparer } from '../../src/adapters/sharp-image-preparer.ts';
import type { Inspection } from '../../src/contracts/inspection.ts';
import { errorCode } from '../../src/errors.ts';
import type { CameraFile } from '../../src/ports.ts';
import { smallBases, stamped } from '../agent/harness.ts';

let root: string;
let camera: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'edgeqc-replaced-'));
  camera = join(root, 'camera');
  await import('node:fs/promises').then((fs) => fs.mkdir(camera));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const okVerdict = { verdict: 'ok' } as Inspection; // the archive reads the verdict only (annotate off)

function world() {
  const source = createCameraFolderSource({ dir: camera, stabilityMs: 300, maxFileBytes: 1024 * 1024 });
  const preparer = createSharpImagePreparer({ maxFileBytes: 1024 * 1024, maxPixels: 4096 * 4096 });
  const archive = createFolderArchive({ root: join(root, 'work'), annotate: false, identityOf: source.identityOf });
  const ac = new AbortController();
  const files = source.files(ac.signal)[Symbol.asyncIterator]();
  const next = async (): Promise<CameraFile> => {
    const r = await files.next();
    if (r.done) throw new Error('the camera source ended');
    return r.value;
  };
  return { source, preparer, archive, next, stop: () => ac.abort() };
}

async function replace(path: string, bytes: Uint8Array): Promise<void> {
  const temp = `${path}.tmp`;
  await writeFile(temp, bytes);
  // A distinct mtime even on coarse clocks: the replacement is a new file.
  await utimes(temp, new Date(Date.now() + 5000), new Date(Date.now() + 5000));
  await rename(temp, path);
}

describe('a file renamed over one already taken in', () => {
  it('is not archived under the earlier image verdict, and is offered again as a new image', async () => {
    const [a, b] = await smallBases(64);
    const first = stamped(a as Uint8Array, 'first');
    const second = stamped(b as Uint8Array, 'second');
    await writeFile(join(camera, 'shot.jpg'), first);
    const w = world();
    try {
      const taken = await w.next();
      const image = await w.preparer.admit(taken);
      await replace(join(camera, 'shot.jpg'), second);
      const refused = await w.archive.done(image, okVerdict).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(errorCode(refused)).toBe('ARCHIVE_SOURCE_MISSING');
      expect(String((refused as Error).message)).toMatch(/replaced/);
      expect(await readdir(camera)).toEqual(['shot.jpg']);
      // The agent marks the path done after ARCHIVE_SOURCE_MISSING: the new file comes again.
      w.source.markDone(taken.path);
      const again = await w.next();
      expect(again.path).toBe(taken.path);
      const newImage = await w.preparer.admit(again);
      expect(newImage.sha256).not.toBe(image.sha256);
      expect(newImage.bytes).toEqual(new Uint8Array(second));
      await w.archive.done(newImage, okVerdict);
      expect(await readdir(join(root, 'work', 'done', 'ok'))).toEqual(['shot.jpg']);
    } finally {
      w.stop();
    }
  }, 30_000);

  it('is not quarantined under the earlier file reason either', async () => {
    await writeFile(join(camera, 'bad.jpg'), 'not an image at all');
    const w = world();
    try {
      const taken = await w.next();
      const rejected = await w.preparer.admit(taken).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(errorCode(rejected)).toBe('IMAGE_UNSUPPORTED_FORMAT');
      const [good] = await smallBases(64);
      await replace(join(camera, 'bad.jpg'), stamped(good as Uint8Array, 'good'));
      const refused = await w.archive.quarantine(taken.path, { code: 'IMAGE_UNSUPPORTED_FORMAT', message: 'x' }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(errorCode(refused)).toBe('ARCHIVE_SOURCE_MISSING');
      w.source.markDone(taken.path);
      const again = await w.next();
      expect((await w.preparer.admit(again)).format).toBe('jpeg');
    } finally {
      w.stop();
    }
  }, 30_000);

  it('a file replaced between the completeness check and the read is IMAGE_CHANGED (offered again), not read as the first', async () => {
    const [a, b] = await smallBases(64);
    await writeFile(join(camera, 'swap.jpg'), stamped(a as Uint8Array, 'one'));
    const w = world();
    try {
      const taken = await w.next();
      await replace(join(camera, 'swap.jpg'), stamped(b as Uint8Array, 'two'));
      const err = await w.preparer.admit(taken).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(errorCode(err)).toBe('IMAGE_CHANGED');
    } finally {
      w.stop();
    }
  }, 30_000);
});
