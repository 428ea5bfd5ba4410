/**
 * The upload queue's memory of finished items: `done.log`, one line `<messageId> <queued at ms>` per
 * item uploaded (or set aside), appended and fdatasync'ed BEFORE the item file is deleted.
 *
 * It answers two questions after a restart: was this inspection already uploaded (an image inspected
 * again after a crash that came between the queueing and the seen index is not queued twice), and when
 * were the last day's items queued (the caps' history). Bounded: past twice `capacity` lines the file
 * is rewritten (temporary file, fsync, rename) with the newest `capacity`.
 */
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileDurably } from '../adapters/outbox/segment-files.ts';
import { hasCode } from '../errors.ts';

export interface LedgerEntry {
  readonly messageId: string;
  readonly queuedAtMs: number;
}

export interface UploadLedger {
  has(messageId: string): boolean;
  entries(): readonly LedgerEntry[];
  add(entry: LedgerEntry): Promise<void>;
}

const LINE = /^([0-9a-f]{64}) (\d{1,15})$/;
export const LEDGER_FILE = 'done.log';

export async function openUploadLedger(dir: string, capacity: number): Promise<UploadLedger> {
  const file = join(dir, LEDGER_FILE);
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (!hasCode(err, 'ENOENT')) throw err;
  }
  // A line torn by a crash (the last one) does not parse and is left out.
  let list: LedgerEntry[] = [];
  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (m) list.push({ messageId: m[1] as string, queuedAtMs: Number(m[2]) });
  }
  list = list.slice(-capacity);
  const ids = new Map<string, number>();
  for (const e of list) ids.set(e.messageId, (ids.get(e.messageId) ?? 0) + 1);
  let lines = list.length;
  // Start from a clean file (no torn tail; the newest `capacity` lines).
  await writeFileDurably(dir, LEDGER_FILE, Buffer.from(list.map((e) => `${e.messageId} ${e.queuedAtMs}\n`).join('')));

  const compact = async () => {
    const dropped = list.splice(0, list.length - capacity);
    for (const e of dropped) {
      const n = (ids.get(e.messageId) ?? 1) - 1;
      if (n === 0) ids.delete(e.messageId);
      else ids.set(e.messageId, n);
    }
    await writeFileDurably(dir, LEDGER_FILE, Buffer.from(list.map((e) => `${e.messageId} ${e.queuedAtMs}\n`).join('')));
    lines = list.length;
  };

  return {
    has: (id) => ids.has(id),
    entries: () => list,
    async add(entry) {
      const handle = await open(file, 'a');
      try {
        await handle.write(`${entry.messageId} ${Math.max(0, Math.floor(entry.queuedAtMs))}\n`);
        await handle.datasync();
      } finally {
        await handle.close();
      }
      list.push(entry);
      ids.set(entry.messageId, (ids.get(entry.messageId) ?? 0) + 1);
      lines += 1;
      if (lines > 2 * capacity) await compact();
    },
  };
}
