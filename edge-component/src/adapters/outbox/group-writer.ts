/**
 * The outbox's appends on their way to disk: appends that queue up while a write is under way are
 * written together, one write and one fdatasync for all of them (bounded: 256 entries or about
 * 4 MiB per write). Each append resolves once its record is durable, or rejects (nothing
 * acknowledged) when the write failed.
 */
import type { Logger } from '../../log.ts';
import type { OutboxEntry } from '../../ports.ts';
import type { RecordMeta } from './record-codec.ts';
import type { SegmentLog, StoredEntry } from './segment-log.ts';

const MAX_BATCH_ENTRIES = 256;
const MAX_BATCH_BYTES = 4 * 1024 * 1024;

export interface WaitingAppend {
  readonly seq: number;
  /** The record's size (an upper bound), counted against maxBytes while it waits. */
  readonly bytes: number;
  readonly meta: RecordMeta;
  readonly payload: Uint8Array;
  resolve(entry: OutboxEntry): void;
  reject(err: unknown): void;
}

export interface GroupWriter {
  /** Appends waiting for (or in) a write. */
  readonly count: number;
  readonly bytes: number;
  /** The sequence number of the oldest append waiting; undefined when none waits. */
  firstSeq(): number | undefined;
  add(append: WaitingAppend): void;
  /** Resolves when no write is under way. */
  idle(): Promise<void>;
}

export function createGroupWriter(options: {
  readonly segments: Pick<SegmentLog, 'append'>;
  readonly log: Logger;
  /** A write is durable: its entries are pending now (called before their appends resolve). */
  onStored(stored: readonly StoredEntry[]): void;
  /** A write finished (durable or failed). */
  onWritten(): void;
}): GroupWriter {
  const writing: WaitingAppend[] = [];
  let writingBytes = 0;
  let pump: Promise<void> | undefined;

  const runPump = async () => {
    while (writing.length > 0) {
      let take = 0;
      for (
        let size = 0;
        take < writing.length && take < MAX_BATCH_ENTRIES && (take === 0 || size < MAX_BATCH_BYTES);
        take += 1
      ) {
        size += writing[take]!.bytes;
      }
      const batch = writing.slice(0, take);
      try {
        const stored = await options.segments.append(batch.map((w) => ({ meta: w.meta, payload: w.payload })));
        writing.splice(0, batch.length);
        for (const w of batch) writingBytes -= w.bytes;
        options.onStored(stored);
        batch.forEach((w, i) => {
          const e = stored[i]!;
          w.resolve(
            e.messageId === undefined
              ? { seq: e.seq, topic: e.topic, payload: w.payload }
              : { seq: e.seq, topic: e.topic, payload: w.payload, messageId: e.messageId },
          );
        });
      } catch (err) {
        writing.splice(0, batch.length);
        for (const w of batch) {
          writingBytes -= w.bytes;
          w.reject(err);
        }
        options.log.error({ err, entries: batch.length }, 'outbox append failed; nothing acknowledged');
      }
      options.onWritten();
    }
    pump = undefined;
  };

  return {
    get count() {
      return writing.length;
    },
    get bytes() {
      return writingBytes;
    },
    firstSeq: () => writing[0]?.seq,
    add(append) {
      writing.push(append);
      writingBytes += append.bytes;
      pump ??= runPump();
    },
    idle: async () => {
      await pump;
    },
  };
}
