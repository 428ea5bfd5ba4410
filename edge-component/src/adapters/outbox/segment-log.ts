/**
 * The outbox's append-only segment log: opens the folder (scanning every segment, setting damaged
 * records aside), appends batches of records with one write and one fdatasync, reads a record back for
 * sending, and deletes a segment once none of its records is pending.
 *
 * Invariant that keeps sequence numbers increasing across restarts: a segment is named after the
 * first sequence number it may hold, and a new (empty) active segment is created and made durable
 * before older segments are deleted, so the highest sequence number ever used can always be read
 * back from the folder (the last record, or the active segment's name).
 */
import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { OutboxError } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import { decodeFrame, encodeRecord, type RecordLocation, type RecordMeta, scanSegment } from './record-codec.ts';
import {
  listSegments,
  readCursor,
  segmentName,
  setAsideSegment,
  syncDir,
  writeCursor,
  writeFileDurably,
} from './segment-files.ts';

interface Segment {
  readonly name: string;
  readonly path: string;
  /** Records of this segment still pending (not delivered, not dropped). */
  live: number;
  size: number;
  reader?: Promise<FileHandle>;
}

export interface StoredEntry extends RecordLocation {
  readonly segment: Segment;
}

export interface SegmentLog {
  /** The entries pending at open, oldest first. */
  readonly pending: readonly StoredEntry[];
  /** The first sequence number not used yet. */
  readonly nextSeq: number;
  /** Writes the records (one write, one fdatasync); resolves when they are durable. */
  append(records: readonly { meta: RecordMeta; payload: Uint8Array }[]): Promise<StoredEntry[]>;
  /** Reads an entry back; throws OutboxError OUTBOX_READ_FAILED when it no longer checks out. */
  read(entry: StoredEntry): Promise<{ topic: string; payload: Uint8Array }>;
  /** The entry is gone for good (delivered or dropped); its segment is deleted when nothing in it is pending. */
  release(entry: StoredEntry): void;
  /** Every entry up to `seq` is gone (persisted lazily as the cursor). */
  removedThrough(seq: number): void;
  close(): Promise<void>;
}

export interface SegmentLogOptions {
  readonly dir: string;
  readonly log: Logger;
  /** Start a new segment once the active one is this large. */
  readonly segmentMaxBytes: number;
}

async function loadSegments(dir: string, log: Logger) {
  const cursor = (await readCursor(dir)) ?? 0;
  const segments = new Map<string, Segment>();
  const pending: StoredEntry[] = [];
  let highest = cursor;
  for (const file of await listSegments(dir)) {
    const path = join(dir, file.name);
    let bytes = await readFile(path);
    let { records, bad } = scanSegment(bytes);
    if (bad.length > 0) {
      const copy = await setAsideSegment(dir, file.name, bytes);
      log.warn(
        { segment: path, copy, bad, kept: records.length },
        'outbox segment holds damaged or torn records: set aside, not delivered; the intact records are kept',
      );
      bytes = Buffer.concat(records.map((r) => bytes.subarray(r.offset, r.offset + r.length)));
      await writeFileDurably(dir, file.name, bytes);
      ({ records, bad } = scanSegment(bytes));
    }
    const segment: Segment = { name: file.name, path, live: 0, size: bytes.length };
    segments.set(file.name, segment);
    highest = Math.max(highest, file.firstSeq - 1);
    for (const r of records) {
      const last = pending.at(-1)?.seq ?? cursor;
      if (r.seq <= cursor) continue; // delivered before
      if (r.seq < file.firstSeq) {
        log.warn({ segment: path, seq: r.seq }, 'outbox record older than its segment: skipped');
        continue;
      }
      if (r.seq <= last) {
        log.warn({ segment: path, seq: r.seq, after: last }, 'outbox record out of sequence: skipped');
        continue;
      }
      pending.push({ ...r, segment });
      segment.live += 1;
    }
    highest = Math.max(highest, records.at(-1)?.seq ?? 0);
  }
  return { segments, pending, cursor, nextSeq: highest + 1 };
}

export async function openSegmentLog(options: SegmentLogOptions): Promise<SegmentLog> {
  const { dir, log } = options;
  let loaded: Awaited<ReturnType<typeof loadSegments>>;
  let writer: FileHandle;
  let active: Segment;
  try {
    await mkdir(dir, { recursive: true });
    for (const name of await readdir(dir)) {
      if (name.startsWith('.') && name.endsWith('.tmp')) await unlink(join(dir, name));
    }
    loaded = await loadSegments(dir, log);
    const name = segmentName(loaded.nextSeq);
    // Only an empty segment can carry the next sequence number's name: reuse it.
    writer = await open(join(dir, name), 'w');
    await syncDir(dir);
    active = loaded.segments.get(name) ?? { name, path: join(dir, name), live: 0, size: 0 };
    active.size = 0;
    loaded.segments.set(name, active);
  } catch (cause) {
    if (cause instanceof OutboxError) throw cause;
    throw new OutboxError('OUTBOX_OPEN_FAILED', `cannot open the outbox folder ${dir}`, { cause });
  }
  const { segments, pending } = loaded;
  let broken = false;
  let closed = false;
  let cursor = loaded.cursor;
  let cursorWritten = loaded.cursor;
  let cursorWrite: Promise<void> | undefined;

  const remove = (segment: Segment) => {
    segments.delete(segment.name);
    const reader = segment.reader;
    segment.reader = undefined;
    void (async () => {
      await (await reader?.catch(() => undefined))?.close();
      await unlink(segment.path);
    })().catch((err: unknown) => log.warn({ err, segment: segment.path }, 'outbox segment not deleted'));
  };
  for (const segment of [...segments.values()]) if (segment !== active && segment.live === 0) remove(segment);

  const rotate = async (firstSeq: number) => {
    const name = segmentName(firstSeq);
    const next = await open(join(dir, name), 'w');
    await syncDir(dir);
    const previous = active;
    await writer.close().catch(() => undefined);
    writer = next;
    active = { name, path: join(dir, name), live: 0, size: 0 };
    segments.set(name, active);
    broken = false;
    if (previous.live === 0) remove(previous);
  };

  const flushCursor = () => {
    if (cursorWrite || cursor === cursorWritten || closed) return;
    const value = cursor;
    cursorWrite = writeCursor(dir, value, false)
      .then(() => {
        cursorWritten = value;
      })
      .catch((err: unknown) => log.warn({ err }, 'outbox cursor not written (delivered entries may be sent again)'))
      .finally(() => {
        cursorWrite = undefined;
        setTimeout(flushCursor, 100).unref();
      });
  };

  return {
    pending,
    nextSeq: loaded.nextSeq,

    async append(records) {
      if (closed) throw new OutboxError('OUTBOX_CLOSED', `the outbox ${dir} is closed`);
      if (records.length === 0) return [];
      const frames = records.map((r) => encodeRecord(r.meta, r.payload));
      const data = Buffer.concat(frames);
      try {
        if (broken || active.size >= options.segmentMaxBytes) await rotate(records[0]!.meta.seq);
        const start = active.size;
        try {
          for (let written = 0; written < data.length; ) {
            const { bytesWritten } = await writer.write(data, written, data.length - written, start + written);
            written += bytesWritten;
          }
          await writer.datasync();
        } catch (err) {
          // Take back what may have been written, so the next record follows the last good one.
          await writer.truncate(start).catch(() => {
            broken = true;
          });
          throw err;
        }
        const segment = active;
        let offset = start;
        const stored = records.map((r, i) => {
          const frame = frames[i]!;
          const entry: StoredEntry = {
            ...r.meta,
            offset,
            length: frame.length,
            payloadBytes: r.payload.length,
            segment,
          };
          offset += frame.length;
          return entry;
        });
        segment.size = offset;
        segment.live += stored.length;
        return stored;
      } catch (cause) {
        throw new OutboxError(
          'OUTBOX_WRITE_FAILED',
          `cannot write ${records.length} entr${records.length === 1 ? 'y' : 'ies'} to the outbox ${dir}`,
          { cause },
        );
      }
    },

    async read(entry) {
      const { segment } = entry;
      try {
        segment.reader ??= open(segment.path, 'r');
        const handle = await segment.reader;
        const frame = Buffer.alloc(entry.length);
        const { bytesRead } = await handle.read(frame, 0, entry.length, entry.offset);
        const decoded = bytesRead === entry.length ? decodeFrame(frame) : undefined;
        if (!decoded || decoded.meta.seq !== entry.seq) throw new Error(`record ${entry.seq} does not check out`);
        return { topic: decoded.meta.topic, payload: decoded.payload };
      } catch (cause) {
        throw new OutboxError(
          'OUTBOX_READ_FAILED',
          `outbox entry ${entry.seq} in ${segment.path} at ${entry.offset} cannot be read back`,
          { cause },
        );
      }
    },

    release(entry) {
      if (closed) return;
      const { segment } = entry;
      segment.live -= 1;
      if (segment.live === 0 && segment !== active && segments.get(segment.name) === segment) remove(segment);
    },

    removedThrough(seq) {
      if (seq <= cursor) return;
      cursor = seq;
      flushCursor();
    },

    async close() {
      if (closed) return;
      closed = true;
      await cursorWrite;
      try {
        if (cursor > cursorWritten) await writeCursor(dir, cursor, true);
      } catch (err) {
        log.warn({ err }, 'outbox cursor not written at close (delivered entries may be sent again)');
      }
      await writer.close().catch(() => undefined);
      for (const segment of segments.values()) {
        await (await segment.reader?.catch(() => undefined))?.close().catch(() => undefined);
      }
    },
  };
}
