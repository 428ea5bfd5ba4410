/**
 * The durable, ordered outbox on disk (port Outbox): inspections and error events wait here until the
 * broker acknowledged them, across broker outages and agent crashes.
 *
 * Format: an append-only segment log (outbox/record-codec.ts, outbox/segment-log.ts), chosen over one
 * file per entry because an append then costs one write and one fdatasync (a file per entry needs a
 * temp file, fsync, rename and an fsync of the folder, and an unlink per delivery), and concurrent
 * appends share one fdatasync. Each record carries its length and a CRC-32, so a record torn by a crash
 * is recognised at open, set aside under corrupt/ with a log line and never delivered. `append`
 * resolves only after the fdatasync (outbox/group-writer.ts): a kill -9 at any point loses no acknowledged entry. Delivered
 * entries are not rewritten: a cursor file remembers the highest delivered sequence number (lazily; a
 * crash may cause a re-delivery, which consumers drop by messageId) and a segment is deleted once all
 * its entries are gone. Sequence numbers continue after the highest on disk.
 *
 * Delivery: one loop (outbox/drain-loop.ts), oldest first, one QoS 1 publish at a time, removed after
 * the PUBACK; a failure keeps the entry and retries it after 200 ms .. 5 s (capped exponential backoff),
 * earlier when the publisher reconnects; an append wakes the loop at once.
 *
 * Refused for good: a message the broker will never take (not authorised, too large; see
 * outbox/drain-loop.ts for how that is told from a passing failure) is written to the dead-letter file
 * (outbox/dead-letter-sink.ts, outbox/dead-letter-file.ts: <dir>/dead-letter/, bounded, fdatasync'ed),
 * removed from the outbox and reported to the `onDeadLetter` listeners (the agent puts it on /errors);
 * delivery goes on with the next entry. A payload larger than `maxEntryBytes` (the broker's limit) never enters the outbox:
 * `append` rejects it with OUTBOX_ENTRY_TOO_LARGE.
 *
 * Full policy (capacity in entries, maxBytes in record bytes):
 * - 'pause-intake': isFull() turns true at capacity (or maxBytes); the agent then stops taking camera
 *   files, which wait safely in the folder. `append` still succeeds beyond that, up to a headroom of
 *   10 % (at least 16 entries), so the images already in flight and their error events are not lost;
 *   past the headroom it rejects with OUTBOX_FULL (the caller keeps its data and tries again).
 * - 'drop-oldest': never full; an append beyond capacity or maxBytes drops the oldest entries (a
 *   warning, and counted in stats().dropped). The entry just appended is never dropped.
 *
 * One process per folder (the agent); the folder holds nothing else.
 */
import { OutboxError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { silentLogger } from '../log.ts';
import type { Outbox, OutboxEntry, Publisher } from '../ports.ts';
import { createDeadLetterSink } from './outbox/dead-letter-sink.ts';
import { type RetryOptions, runDrainLoop } from './outbox/drain-loop.ts';
import { checkEntry } from './outbox/entry-check.ts';
import { createGroupWriter } from './outbox/group-writer.ts';
import { openSegmentLog, type StoredEntry } from './outbox/segment-log.ts';

export interface DiskOutboxOptions {
  readonly dir: string;
  /** Most entries held. */
  readonly capacity: number;
  /** Most record bytes held. Default 256 MiB. */
  readonly maxBytes?: number;
  readonly policy: 'pause-intake' | 'drop-oldest';
  readonly log?: Logger;
  /** Backoff between retries of a failed publish. Default 200 ms .. 5000 ms. */
  readonly retry?: Partial<RetryOptions>;
  /** A new segment file starts past this size. Default 1 MiB. */
  readonly segmentMaxBytes?: number;
  /** close() waits this long for an in-flight publish, then leaves the entry for next time. Default 5000 ms. */
  readonly closeTimeoutMs?: number;
  /** Largest payload accepted: the broker's message limit. Default 131072 (AWS IoT Core's 128 KB). */
  readonly maxEntryBytes?: number;
  /** Most bytes the dead-letter folder holds (two rotated files). Default 16 MiB. */
  readonly deadLetterMaxBytes?: number;
  /** The clock of the dead-letter lines. Default: the system clock. */
  readonly now?: () => Date;
}

function positiveInt(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new OutboxError('OUTBOX_OPEN_FAILED', `outbox ${name}: expected a positive integer, got ${value}`);
  }
  return value;
}

export async function createDiskOutbox(options: DiskOutboxOptions): Promise<Outbox> {
  const log = options.log ?? silentLogger();
  const capacity = positiveInt('capacity', options.capacity);
  const maxBytes = positiveInt('maxBytes', options.maxBytes ?? 256 * 1024 * 1024);
  const hardCount = capacity + Math.max(16, Math.ceil(capacity / 10));
  const hardBytes = maxBytes + Math.ceil(maxBytes / 10);
  const maxEntryBytes = positiveInt('maxEntryBytes', options.maxEntryBytes ?? 128 * 1024);
  const retry: RetryOptions = {
    minMs: options.retry?.minMs ?? 200,
    maxMs: options.retry?.maxMs ?? 5000,
    ...(options.retry?.refuseAfterDrops !== undefined ? { refuseAfterDrops: options.retry.refuseAfterDrops } : {}),
  };
  const deadLetters = createDeadLetterSink({
    outboxDir: options.dir,
    maxBytes: options.deadLetterMaxBytes,
    now: options.now ?? (() => new Date()),
    log,
  });
  const segments = await openSegmentLog({
    dir: options.dir,
    log,
    segmentMaxBytes: options.segmentMaxBytes ?? 1024 * 1024,
  });

  // Pending entries, oldest first: queue[first..].
  let queue: StoredEntry[] = [...segments.pending];
  let first = 0;
  let queuedBytes = queue.reduce((n, e) => n + e.length, 0);
  let nextSeq = segments.nextSeq;
  let dropped = 0;
  let busy: StoredEntry | undefined;
  let busyDropped = false;
  let closed = false;
  let wake: (() => void) | undefined;
  const flushWaiters = new Set<() => void>();
  const stop = new AbortController();
  let loop: Promise<void> | undefined;

  if (queue.length > 0) log.info({ pending: queue.length, nextSeq }, 'outbox opened with pending entries');

  const head = () => (first < queue.length ? queue[first] : undefined);
  const pendingCount = () => queue.length - first + writer.count;
  const pendingBytes = () => queuedBytes + writer.bytes;
  const changed = () => {
    const w = wake;
    wake = undefined;
    w?.();
    for (const check of flushWaiters) check();
  };

  /** Removes the oldest entry (delivered, dropped or unreadable). */
  const shift = (): StoredEntry => {
    const entry = queue[first]!;
    first += 1;
    queuedBytes -= entry.length;
    if (first > 1024 && first * 2 > queue.length) {
      queue = queue.slice(first);
      first = 0;
    }
    segments.removedThrough(entry.seq);
    return entry;
  };

  const dropOldest = (count: number) => {
    for (let i = 0; i < count && head(); i += 1) {
      const entry = shift();
      dropped += 1;
      if (entry === busy) busyDropped = true;
      else segments.release(entry);
      log.warn(
        { seq: entry.seq, topic: entry.topic, messageId: entry.messageId, dropped },
        'outbox full: dropped the oldest entry',
      );
    }
  };

  const enforceDropOldest = (justAppended: number) => {
    if (options.policy !== 'drop-oldest') return;
    let excess = 0;
    let count = pendingCount();
    let bytes = pendingBytes();
    // Never the entries just appended (the last `justAppended` of the queue).
    const droppable = queue.length - first - justAppended;
    while (excess < droppable && (count > capacity || bytes > maxBytes)) {
      const e = queue[first + excess]!;
      count -= 1;
      bytes -= e.length;
      excess += 1;
    }
    dropOldest(excess);
  };

  const writer = createGroupWriter({
    segments,
    log,
    onStored(stored) {
      for (const e of stored) {
        queue.push(e);
        queuedBytes += e.length;
      }
      enforceDropOldest(stored.length);
    },
    onWritten: () => changed(),
  });

  // A smaller capacity than last time (configuration change): drop-oldest applies at once.
  enforceDropOldest(0);

  const outbox: Outbox = {
    append(entry) {
      if (closed) return Promise.reject(new OutboxError('OUTBOX_CLOSED', `the outbox ${options.dir} is closed`));
      const bytes = checkEntry(entry, {
        maxEntryBytes,
        policy: options.policy,
        capacity,
        maxBytes,
        hardCount,
        hardBytes,
        pendingCount: pendingCount(),
        pendingBytes: pendingBytes(),
      });
      if (bytes instanceof OutboxError) return Promise.reject(bytes);
      const seq = nextSeq;
      nextSeq += 1;
      const meta =
        entry.messageId === undefined
          ? { seq, topic: entry.topic }
          : { seq, topic: entry.topic, messageId: entry.messageId };
      return new Promise<OutboxEntry>((resolve, reject) => {
        writer.add({ seq, bytes, meta, payload: entry.payload, resolve, reject });
      });
    },

    isFull: () => options.policy === 'pause-intake' && (pendingCount() >= capacity || pendingBytes() >= maxBytes),

    stats: () => ({ pending: pendingCount(), capacity, dropped }),

    onDeadLetter(listener) {
      deadLetters.onDeadLetter(listener);
    },

    start(publisher: Publisher) {
      if (loop || closed) return;
      loop = runDrainLoop({
        publisher,
        retry,
        log,
        signal: stop.signal,
        source: {
          head,
          read: (e) => segments.read(e),
          busy(e) {
            const previous = busy;
            busy = e;
            if (previous && busyDropped) segments.release(previous);
            busyDropped = false;
          },
          delivered(e) {
            if (head() !== e) return; // dropped while it was being sent (already released)
            shift();
            segments.release(e);
            changed();
          },
          unreadable(e, err) {
            log.error(
              { err, seq: e.seq, topic: e.topic, messageId: e.messageId },
              'outbox entry unreadable: set aside, not delivered',
            );
            if (head() !== e) return;
            shift();
            segments.release(e);
            changed();
          },
          refused: (e, message, err) =>
            deadLetters.refuse(e, message, err, () => {
              if (head() === e) {
                shift();
                segments.release(e);
                changed();
              }
            }),
          waitForWork: (signal) =>
            new Promise<void>((resolve) => {
              if (signal.aborted || head()) return resolve();
              const done = () => {
                signal.removeEventListener('abort', done);
                resolve();
              };
              wake = done;
              signal.addEventListener('abort', done, { once: true });
            }),
        },
      }).catch((err: unknown) => log.error({ err }, 'outbox delivery loop failed'));
    },

    flush(timeoutMs) {
      const target = nextSeq - 1;
      const done = () =>
        (writer.firstSeq() ?? Number.POSITIVE_INFINITY) > target && (head()?.seq ?? Number.POSITIVE_INFINITY) > target;
      if (done()) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        const finish = (value: boolean) => {
          clearTimeout(timer);
          flushWaiters.delete(check);
          resolve(value);
        };
        const check = () => {
          if (done()) finish(true);
        };
        const timer = setTimeout(() => finish(false), Math.max(0, timeoutMs));
        flushWaiters.add(check);
      });
    },

    async close() {
      if (closed) return;
      closed = true;
      stop.abort();
      changed();
      await writer.idle();
      if (loop) {
        let timer: NodeJS.Timeout | undefined;
        const finished = await Promise.race([
          loop.then(() => true),
          new Promise<boolean>((resolve) => {
            timer = setTimeout(() => resolve(false), options.closeTimeoutMs ?? 5000);
          }),
        ]);
        clearTimeout(timer);
        if (!finished) log.warn({ seq: busy?.seq }, 'outbox closed during a publish; the entry stays for next time');
      }
      await segments.close();
    },
  };
  return outbox;
}
