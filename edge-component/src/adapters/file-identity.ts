/**
 * A file's identity (device, inode, size, mtime) from lstat/fstat, and what a non-regular entry is,
 * for messages. The camera folder source, the preparer's admit and the archive compare identities so
 * that bytes read from one file are never archived as another that took its name.
 */
import type { Stats } from 'node:fs';
import type { FileIdentity } from '../ports.ts';

export function identityOf(s: Stats): FileIdentity {
  return { dev: s.dev, ino: s.ino, sizeBytes: s.size, mtimeMs: s.mtimeMs };
}

export function sameIdentity(a: FileIdentity, b: FileIdentity): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.sizeBytes === b.sizeBytes && a.mtimeMs === b.mtimeMs;
}

/** "a symbolic link", "a FIFO"...: what lstat says an entry is. */
export function fileTypeOf(s: Stats): string {
  if (s.isFile()) return 'a regular file';
  if (s.isSymbolicLink()) return 'a symbolic link';
  if (s.isDirectory()) return 'a directory';
  if (s.isFIFO()) return 'a FIFO';
  if (s.isSocket()) return 'a socket';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isCharacterDevice()) return 'a character device';
  return 'not a regular file';
}
