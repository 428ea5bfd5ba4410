/**
 * Where images go after the agent is done with them (port ImageArchive), out of the camera folder:
 *
 *   <root>/done/<verdict>/<name>               inspected (ok, defect, unclear)
 *   <root>/done/<verdict>/annotated/<name>     optional copy with the boxes drawn (annotate.ts)
 *   <root>/quarantine/<name>                   rejected, with <name>.reason.json {code, message, sha256?, at}
 *
 * Moves never overwrite: when <name> is taken, a short suffix from the image's sha256 is added
 * (`scratch-1.3fa4c2d1.jpg`; then `-2`, `-3`... if needed). A move is a hard link to the new name
 * (which fails instead of overwriting) and an unlink of the old one, then an fsync of both folders, so
 * after a crash the file is in exactly one place (a crash between link and unlink is finished by the
 * next move of the same file). Across file systems: copy, fsync, link, unlink. Where hard links are
 * not supported: rename after checking the name is free. A file that vanished before the move is an
 * ArchiveError ARCHIVE_SOURCE_MISSING (reported by the agent, not a crash), unless it is already in
 * its target folder (the move was done before a crash): then that path is returned.
 *
 * Identity: before a move the path is lstat'ed (never followed) and compared with the identity of the
 * file that was read (the admitted image's descriptor, or the camera source's `identityOf` for a
 * quarantine). Another file under that name (renamed over it) is not moved under the first one's
 * verdict: ARCHIVE_SOURCE_MISSING, and the camera source offers the new file again. A symbolic link or
 * other non-regular entry is moved as itself (the link, not its target); across file systems only
 * regular files are copied.
 */
import { createHash } from 'node:crypto';
import { copyFile, link, lstat, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { Inspection } from '../contracts/inspection.ts';
import { ArchiveError, hasCode } from '../errors.ts';
import { type Logger, silentLogger } from '../log.ts';
import type { AdmittedImage, FileIdentity, ImageArchive } from '../ports.ts';
import { annotateImage } from './annotate.ts';
import { identityOf, sameIdentity } from './file-identity.ts';

export interface FolderArchiveOptions {
  readonly root: string;
  /** Also write a copy with the boxes drawn into done/<verdict>/annotated/. */
  readonly annotate: boolean;
  readonly log?: Logger;
  /**
   * The identity a camera file had when it was taken in (the camera folder source's `identityOf`); a
   * quarantine (and a done move of an image without its own identity) checks it first. Default: no check.
   */
  readonly identityOf?: (path: string) => FileIdentity | undefined;
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function writeFileDurably(path: string, data: Uint8Array | string): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.tmp`);
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
}

/** `name`, then `stem.<sha8>ext`, then `stem.<sha8>-2ext`... */
function candidates(name: string, sha256: string | undefined): string[] {
  const ext = extname(name);
  const stem = name.slice(0, name.length - ext.length) || name;
  const tag = (sha256 ?? createHash('sha256').update(`${name}${Date.now()}${Math.random()}`).digest('hex')).slice(0, 8);
  return [name, `${stem}.${tag}${ext}`, ...Array.from({ length: 98 }, (_, i) => `${stem}.${tag}-${i + 2}${ext}`)];
}

async function sameFile(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([lstat(a), lstat(b)]);
  return x.dev === y.dev && x.ino === y.ino;
}

async function sha256Of(path: string): Promise<string | undefined> {
  try {
    const s = await lstat(path);
    if (!s.isFile() || s.size > 1024 * 1024 * 1024) return undefined; // never follow or read huge files
    return createHash('sha256')
      .update(await readFile(path))
      .digest('hex');
  } catch {
    return undefined; // not readable: not the same file
  }
}

/** Links `from` to `to` without overwriting; false when `to` is taken by another file. */
async function linkNoClobber(from: string, to: string): Promise<boolean> {
  try {
    await link(from, to);
    return true;
  } catch (err) {
    if (hasCode(err, 'EEXIST')) {
      if (await sameFile(from, to)) return true; // linked before a crash; finish the move
      return false;
    }
    if (hasCode(err, 'EXDEV')) {
      // Another file system: a durable copy under a temp name, then the same no-clobber link.
      if (!(await lstat(from)).isFile()) {
        throw new ArchiveError('ARCHIVE_MOVE_FAILED', `${from} is not a regular file: not copied across file systems`);
      }
      const temp = join(dirname(to), `.${basename(to)}.copy.tmp`);
      await copyFile(from, temp);
      const handle = await open(temp, 'r+');
      await handle.sync().finally(() => handle.close());
      try {
        return await linkNoClobber(temp, to);
      } finally {
        await unlink(temp);
      }
    }
    if (hasCode(err, 'EPERM', 'ENOTSUP', 'EOPNOTSUPP')) {
      // No hard links here (or a directory): rename once the name is free.
      try {
        await lstat(to);
        return false;
      } catch (e) {
        if (!hasCode(e, 'ENOENT')) throw e;
      }
      await rename(from, to);
      return true;
    }
    throw err;
  }
}

/** Moves `from` into `dir` under the first free candidate name; returns the new path. */
async function moveInto(
  from: string,
  dir: string,
  sha256: string | undefined,
  log: Logger,
  expected?: FileIdentity,
): Promise<string> {
  await mkdir(dir, { recursive: true });
  const names = candidates(basename(from), sha256);
  try {
    const now = await lstat(from);
    if (expected && !sameIdentity(expected, identityOf(now))) {
      throw new ArchiveError(
        'ARCHIVE_SOURCE_MISSING',
        `${from} is another file now (inode ${expected.ino} -> ${now.ino}, size ${expected.sizeBytes} -> ${now.size}, mtime ${expected.mtimeMs} -> ${now.mtimeMs}): the file taken in was replaced; nothing moved`,
      );
    }
  } catch (err) {
    if (err instanceof ArchiveError) throw err;
    if (!hasCode(err, 'ENOENT')) throw err;
    // Gone: already moved here before a crash (same bytes under one of our names)?
    if (sha256) {
      for (const name of names.slice(0, 3)) {
        if ((await sha256Of(join(dir, name))) === sha256) {
          log.info({ file: from, to: join(dir, name) }, 'archive: file already moved (before a restart)');
          return join(dir, name);
        }
      }
    }
    throw new ArchiveError('ARCHIVE_SOURCE_MISSING', `${from} vanished before it could be moved to ${dir}`, {
      cause: err,
    });
  }
  for (const name of names) {
    const to = join(dir, name);
    if (await linkNoClobber(from, to)) {
      await unlink(from).catch((err: unknown) => {
        if (!hasCode(err, 'ENOENT')) throw err; // a rename fallback already removed it
      });
      await syncDir(dir);
      await syncDir(dirname(from));
      return to;
    }
  }
  throw new ArchiveError('ARCHIVE_MOVE_FAILED', `${from}: no free name in ${dir} (tried ${names.length})`);
}

function wrap(err: unknown, what: string): never {
  if (err instanceof ArchiveError) throw err;
  throw new ArchiveError('ARCHIVE_MOVE_FAILED', what, { cause: err });
}

export function createFolderArchive(options: FolderArchiveOptions): ImageArchive {
  const log = options.log ?? silentLogger();
  const { root } = options;

  const writeAnnotated = async (image: AdmittedImage, inspection: Inspection, target: string) => {
    try {
      const dir = join(dirname(target), 'annotated');
      await mkdir(dir, { recursive: true });
      if (image.format === 'rgb') return; // raw pixels from a client: nothing encoded to draw on
      await writeFileDurably(join(dir, basename(target)), await annotateImage(image.bytes, image.format, inspection));
    } catch (err) {
      // A convenience copy: its failure is logged, the inspection and the move stand.
      log.warn({ err, file: target }, 'archive: annotated copy not written');
    }
  };

  return {
    async done(image, inspection) {
      const dir = join(root, 'done', inspection.verdict);
      let target: string;
      try {
        const expected = image.identity ?? options.identityOf?.(image.path);
        target = await moveInto(image.path, dir, image.sha256, log, expected);
      } catch (err) {
        wrap(err, `${image.path} could not be moved to ${dir}`);
      }
      if (options.annotate) await writeAnnotated(image, inspection, target);
      return target;
    },

    async quarantine(path, reason) {
      const dir = join(root, 'quarantine');
      try {
        const target = await moveInto(path, dir, reason.sha256, log, options.identityOf?.(path));
        const record = {
          code: reason.code,
          message: reason.message,
          ...(reason.sha256 ? { sha256: reason.sha256 } : {}),
          at: new Date().toISOString(),
        };
        await writeFileDurably(`${target}.reason.json`, `${JSON.stringify(record, null, 2)}\n`);
        await syncDir(dir);
        return target;
      } catch (err) {
        wrap(err, `${path} could not be moved to ${dir}`);
      }
    },
  };
}
