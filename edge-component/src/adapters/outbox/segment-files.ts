/**
 * File-level helpers of the outbox folder:
 *
 *   <dir>/seg-<first seq, 16 digits>.log   append-only segments of records (record-codec.ts)
 *   <dir>/cursor                           highest sequence number delivered or dropped (a hint)
 *   <dir>/corrupt/                         segments set aside because they held a damaged record
 *
 * The cursor is written by replace-by-rename without fsync on the hot path: if a crash loses its last
 * update, entries already delivered are delivered again (at least once; consumers drop duplicates by
 * messageId), never lost.
 */
import { mkdir, open, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hasCode } from '../../errors.ts';

const SEGMENT = /^seg-(\d{16})\.log$/;

export const segmentName = (firstSeq: number) => `seg-${String(firstSeq).padStart(16, '0')}.log`;

export interface SegmentFile {
  readonly name: string;
  readonly firstSeq: number;
}

export async function listSegments(dir: string): Promise<SegmentFile[]> {
  const out: SegmentFile[] = [];
  for (const name of await readdir(dir)) {
    const m = SEGMENT.exec(name);
    if (m) out.push({ name, firstSeq: Number(m[1]) });
  }
  return out.sort((a, b) => a.firstSeq - b.firstSeq);
}

/** Makes the folder's entries (created, renamed files) durable. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes a file durably: temp name, fsync, rename, fsync of the folder. */
export async function writeFileDurably(dir: string, name: string, data: Uint8Array): Promise<void> {
  const temp = join(dir, `.${name}.tmp`);
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, join(dir, name));
  await syncDir(dir);
}

/** Keeps a copy of a damaged segment under corrupt/ (for a person to look at); returns its path. */
export async function setAsideSegment(dir: string, name: string, bytes: Uint8Array): Promise<string> {
  const corrupt = join(dir, 'corrupt');
  await mkdir(corrupt, { recursive: true });
  const copy = `${name}.${new Date().toISOString().replace(/[:.]/g, '-')}.bad`;
  await writeFileDurably(corrupt, copy, bytes);
  return join(corrupt, copy);
}

export async function readCursor(dir: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, 'cursor'), 'utf8');
  } catch (err) {
    if (hasCode(err, 'ENOENT')) return undefined;
    throw err;
  }
  const value = Number(text.trim());
  return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

/** Replaces the cursor (rename: never a half-written file); `durable` adds the fsyncs. */
export async function writeCursor(dir: string, seq: number, durable: boolean): Promise<void> {
  const data = Buffer.from(`${seq}\n`);
  if (durable) return writeFileDurably(dir, 'cursor', data);
  const temp = join(dir, '.cursor.tmp');
  await writeFile(temp, data);
  await rename(temp, join(dir, 'cursor'));
}
