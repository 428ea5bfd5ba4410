/**
 * The durable upload queue: inspections chosen for upload wait here, on disk, until the store has both
 * objects, across network outages and agent restarts.
 *
 * Design (imitating the outbox's guarantees, not its format):
 * - One file per item (upload-item.ts), not a segment log: items are images (tens of KB to MB), written
 *   once, read once and deleted once, so a file each costs little, frees its space at once when
 *   uploaded, and needs no compaction. The outbox's small, frequent messages are the opposite case.
 * - The item holds a COPY of the image bytes, taken from memory at commit (no extra read): the archived
 *   file in done/ may be deleted by retention, renamed or annotated long before a network outage ends,
 *   and a hard link would tie the queue to the archive's file system. The copy is bounded by maxBytes.
 * - `add` writes `items/.<name>.tmp`, fsyncs it, renames it to `items/<name>` and fsyncs the folder: once
 *   it resolves, a kill -9 loses nothing; before, nothing half-written is ever taken for an item
 *   (temporary files are deleted at open).
 * - Oldest first. After the image object is stored a marker `<name>.image` is created, so a restart
 *   sends only the message; the item is removed after the message object is stored: its messageId goes
 *   to the ledger (upload-ledger.ts, fdatasync'ed) and then the file is deleted. A crash between a PUT
 *   and that record repeats at most that one PUT, to the same key (the store refuses to overwrite it:
 *   If-None-Match on S3, link() on a folder).
 * - Bounded by `maxItems` and `maxBytes` (file bytes): when either is reached a new item is refused
 *   ('full', counted by the uploader); the ones queued are never dropped. An item that cannot be read
 *   back (CRC) or that the store refuses for good goes to `failed/` with a reason file (at most
 *   FAILED_KEEP items there; the oldest go first).
 *
 * One process per folder (the agent).
 */
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDir, writeFileDurably } from '../adapters/outbox/segment-files.ts';
import { hasCode, UploadError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { decodeItem, encodeItem, type ItemName, itemName, parseItemName, type UploadItem } from './upload-item.ts';
import { openUploadLedger } from './upload-ledger.ts';

/** Items kept under failed/ for a person to look at. */
export const FAILED_KEEP = 100;

export interface QueuedItem extends ItemName {
  readonly bytes: number;
  /** The image object is stored; only the message is left. */
  imageStored: boolean;
}

export interface UploadQueueOptions {
  readonly dir: string;
  readonly maxItems: number;
  readonly maxBytes: number;
  /** Finished messageIds remembered (duplicates, caps history). Default 10000. */
  readonly ledgerCapacity?: number;
  readonly log: Logger;
}

export type AddOutcome = 'queued' | 'full' | 'known';

export interface UploadQueue {
  /** True when the messageId is queued or was uploaded recently. */
  knows(messageId: string): boolean;
  /** Stores the item durably (resolves after the fsyncs). */
  add(item: UploadItem, queuedAtMs: number): Promise<AddOutcome>;
  head(): QueuedItem | undefined;
  read(item: QueuedItem): Promise<UploadItem>;
  markImageStored(item: QueuedItem): Promise<void>;
  /** Both objects are stored: remember it, then delete the item. */
  finish(item: QueuedItem): Promise<void>;
  /** Unreadable or refused for good: moved to failed/ with the reason. */
  setAside(item: QueuedItem, reason: { code: string; message: string }): Promise<void>;
  /** When the queued and the recently finished items were queued (ms): the caps' history. */
  queuedTimes(): number[];
  stats(): { pending: number; bytes: number };
}

export async function openUploadQueue(options: UploadQueueOptions): Promise<UploadQueue> {
  const { log } = options;
  const items = join(options.dir, 'items');
  const failed = join(options.dir, 'failed');
  try {
    await mkdir(items, { recursive: true });
    await mkdir(failed, { recursive: true });
  } catch (cause) {
    throw new UploadError('UPLOAD_QUEUE_FAILED', `the upload queue folder ${options.dir} cannot be created`, { cause });
  }
  const ledger = await openUploadLedger(options.dir, options.ledgerCapacity ?? 10_000);

  const queue: QueuedItem[] = [];
  const markers = new Set<string>();
  let nextSeq = 1;
  for (const name of await readdir(items)) {
    if (name.startsWith('.')) {
      await rm(join(items, name), { force: true }); // a write a crash interrupted: never acknowledged
      continue;
    }
    if (name.endsWith('.image')) {
      markers.add(name.slice(0, -'.image'.length));
      continue;
    }
    const parsed = parseItemName(name);
    if (!parsed) {
      log.warn({ file: join(items, name) }, 'upload queue: a file that is not an item; left alone');
      continue;
    }
    nextSeq = Math.max(nextSeq, parsed.seq + 1);
    if (ledger.has(parsed.messageId)) {
      // Finished before a crash that came before the delete.
      await rm(join(items, name), { force: true });
      continue;
    }
    const { size } = await stat(join(items, name));
    queue.push({ ...parsed, bytes: size, imageStored: false });
  }
  for (const m of markers) {
    const item = queue.find((q) => q.name === m);
    if (item) item.imageStored = true;
    else await rm(join(items, `${m}.image`), { force: true });
  }
  queue.sort((a, b) => a.seq - b.seq);
  const pendingIds = new Set(queue.map((q) => q.messageId));
  let bytes = queue.reduce((n, q) => n + q.bytes, 0);
  if (queue.length > 0) log.info({ pending: queue.length, bytes }, 'upload queue opened with pending items');

  const remove = (item: QueuedItem) => {
    const i = queue.indexOf(item);
    if (i < 0) return;
    queue.splice(i, 1);
    pendingIds.delete(item.messageId);
    bytes -= item.bytes;
  };

  return {
    knows: (id) => pendingIds.has(id) || ledger.has(id),

    async add(item, queuedAtMs) {
      const id = item.meta.messageId;
      if (pendingIds.has(id) || ledger.has(id)) return 'known';
      const data = encodeItem(item);
      if (queue.length >= options.maxItems || bytes + data.length > options.maxBytes) return 'full';
      const name = itemName(nextSeq, queuedAtMs, id);
      nextSeq += 1;
      try {
        await writeFileDurably(items, name, data);
      } catch (cause) {
        await rm(join(items, `.${name}.tmp`), { force: true }).catch(() => undefined);
        throw new UploadError('UPLOAD_QUEUE_FAILED', `upload item ${join(items, name)} could not be stored`, { cause });
      }
      const parsed = parseItemName(name) as ItemName;
      queue.push({ ...parsed, bytes: data.length, imageStored: false });
      pendingIds.add(id);
      bytes += data.length;
      return 'queued';
    },

    head: () => queue[0],

    async read(item) {
      const file = join(items, item.name);
      return decodeItem(await readFile(file), file);
    },

    async markImageStored(item) {
      item.imageStored = true;
      // Not fsync'ed: lost in a crash, the image is sent again to the same key (refused as existing).
      await writeFile(join(items, `${item.name}.image`), '');
    },

    async finish(item) {
      await ledger.add({ messageId: item.messageId, queuedAtMs: item.queuedAtMs });
      remove(item);
      await rm(join(items, item.name), { force: true });
      await rm(join(items, `${item.name}.image`), { force: true });
    },

    async setAside(item, reason) {
      await rename(join(items, item.name), join(failed, item.name)).catch((err: unknown) => {
        if (!hasCode(err, 'ENOENT')) throw err;
      });
      await writeFileDurably(failed, `${item.name}.reason.json`, Buffer.from(`${JSON.stringify(reason)}\n`));
      await syncDir(items);
      await ledger.add({ messageId: item.messageId, queuedAtMs: item.queuedAtMs });
      remove(item);
      await rm(join(items, `${item.name}.image`), { force: true });
      await pruneFailed(failed);
    },

    queuedTimes: () => [...ledger.entries().map((e) => e.queuedAtMs), ...queue.map((q) => q.queuedAtMs)],

    stats: () => ({ pending: queue.length, bytes }),
  };
}

/** Keeps the newest FAILED_KEEP items (and their reasons) in failed/. */
async function pruneFailed(dir: string): Promise<void> {
  const names = (await readdir(dir))
    .map(parseItemName)
    .filter((n): n is ItemName => n !== undefined)
    .sort((a, b) => a.queuedAtMs - b.queuedAtMs || a.seq - b.seq);
  for (const old of names.slice(0, Math.max(0, names.length - FAILED_KEEP))) {
    await rm(join(dir, old.name), { force: true });
    await rm(join(dir, `${old.name}.reason.json`), { force: true });
  }
}
