/**
 * The uploader stage: the commit stage offers every inspection it made durable (`offer`); the policy
 * and the caps (upload-policy.ts) choose, the durable queue (upload-queue.ts) keeps, and one loop sends
 * the oldest item to the store (object-store.ts): the image first, the message last (the .json's
 * presence means "complete"), one object at a time.
 *
 * A failed PUT keeps the item and tries it again after a capped exponential backoff (retry.minMs ..
 * retry.maxMs); an object the store refuses for good, or an item that no longer reads back, is set
 * aside under the queue's failed/ with the reason, and the loop goes on. `close` stops the loop, aborts
 * the PUT in flight and leaves its item for the next start.
 *
 * `offer` never fails the inspection: its outcome is a value ('queued', 'not-selected', 'capped',
 * 'full', 'duplicate', 'unsupported'); only a queue that cannot be written rejects (UPLOAD_QUEUE_FAILED),
 * and the commit stage reports that and goes on.
 */
import type { Inspection } from '../contracts/inspection.ts';
import { errorCode, hasCode, messageOf, UploadError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { ObjectStore } from './object-store.ts';
import { uploadKeys } from './upload-keys.ts';
import { type CapWindows, createCapWindows, isSelected, type UploadCaps } from './upload-policy.ts';
import type { QueuedItem, UploadQueue } from './upload-queue.ts';

export type OfferOutcome = 'queued' | 'not-selected' | 'capped' | 'full' | 'duplicate' | 'unsupported';

/** What the commit stage hands over: the inspection and the image bytes it was made from. */
export interface UploadOffer {
  readonly inspection: Inspection;
  readonly image: { readonly bytes: Uint8Array; readonly format: string };
}

export interface UploaderStats {
  readonly pending: number;
  readonly pendingBytes: number;
  readonly uploaded: number;
  readonly setAside: number;
  readonly offered: Readonly<Record<OfferOutcome, number>>;
}

/** The port the commit stage sees. */
export interface UploadSink {
  offer(offer: UploadOffer): Promise<OfferOutcome>;
}

export interface Uploader extends UploadSink {
  start(): void;
  stats(): UploaderStats;
  /** Resolves true when nothing is pending (or false after `timeoutMs`). */
  drained(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

export interface UploaderOptions {
  readonly queue: UploadQueue;
  readonly store: ObjectStore;
  readonly prefix: string;
  readonly okSampleRate: number;
  readonly caps: UploadCaps;
  readonly retry: { readonly minMs: number; readonly maxMs: number };
  readonly timeoutMs: number;
  readonly log: Logger;
  readonly now?: () => number;
}

export function createUploader(options: UploaderOptions): Uploader {
  const { queue, store, log } = options;
  const now = options.now ?? Date.now;
  const caps: CapWindows = createCapWindows(options.caps, queue.queuedTimes());
  const offered: Record<OfferOutcome, number> = {
    queued: 0,
    'not-selected': 0,
    capped: 0,
    full: 0,
    duplicate: 0,
    unsupported: 0,
  };
  let uploaded = 0;
  let setAside = 0;
  /** An item is being sent (its counters are updated before this turns false). */
  let sending = false;
  let loop: Promise<void> | undefined;
  const stop = new AbortController();
  let wake: (() => void) | undefined;
  const poke = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  /** Waits `ms`, or until close; an idle wait also ends when an item is queued. */
  const sleep = (ms: number, idle: boolean) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        stop.signal.removeEventListener('abort', done);
        if (wake === done) wake = undefined;
        resolve();
      }
      stop.signal.addEventListener('abort', done, { once: true });
      if (idle) wake = done;
    });

  const count = (outcome: OfferOutcome) => {
    offered[outcome] += 1;
    return outcome;
  };

  const offer = async ({ inspection, image }: UploadOffer): Promise<OfferOutcome> => {
    if (image.format !== 'jpeg' && image.format !== 'png') return count('unsupported');
    if (!isSelected(inspection.verdict, inspection.messageId, options.okSampleRate)) return count('not-selected');
    if (queue.knows(inspection.messageId)) return count('duplicate');
    const t = now();
    const full = caps.full(t);
    if (full) {
      if (offered.capped % 100 === 0) {
        log.warn({ window: full, caps: options.caps, messageId: inspection.messageId }, 'upload cap reached');
      }
      return count('capped');
    }
    const keys = uploadKeys(options.prefix, inspection, image.format);
    const outcome = await queue.add(
      {
        meta: {
          messageId: inspection.messageId,
          thingName: inspection.thingName,
          verdict: inspection.verdict,
          modelVersion: inspection.model.version,
          imageKey: keys.image,
          messageKey: keys.message,
          imageContentType: keys.imageContentType,
        },
        image: image.bytes,
        message: new TextEncoder().encode(JSON.stringify(inspection)),
      },
      t,
    );
    if (outcome === 'known') return count('duplicate');
    if (outcome === 'full') {
      if (offered.full % 100 === 0)
        log.warn({ ...queue.stats(), messageId: inspection.messageId }, 'upload queue full');
      return count('full');
    }
    caps.record(t);
    poke();
    return count('queued');
  };

  /** Sends one item until it left the queue (uploaded or set aside); rejects to be tried again. */
  const send = async (item: QueuedItem): Promise<void> => {
    let content: Awaited<ReturnType<UploadQueue['read']>>;
    try {
      content = await queue.read(item);
    } catch (err) {
      if (!hasCode(err, 'UPLOAD_ITEM_CORRUPT')) throw err;
      log.error({ err, item: item.name }, 'upload item unreadable: set aside, not uploaded');
      await queue.setAside(item, { code: 'UPLOAD_ITEM_CORRUPT', message: messageOf(err) });
      setAside += 1;
      return;
    }
    const { meta } = content;
    const metadata = { thing: meta.thingName, verdict: meta.verdict, 'model-version': meta.modelVersion };
    const put = (key: string, body: Uint8Array, contentType: string) =>
      store.put(
        { key, body, contentType, metadata },
        AbortSignal.any([stop.signal, AbortSignal.timeout(options.timeoutMs)]),
      );
    try {
      if (!item.imageStored) {
        await put(meta.imageKey, content.image, meta.imageContentType);
        await queue.markImageStored(item);
      }
      await put(meta.messageKey, content.message, 'application/json');
    } catch (err) {
      if (!hasCode(err, 'UPLOAD_REFUSED')) throw err;
      log.error({ err, item: item.name, messageId: meta.messageId }, 'upload refused for good: set aside');
      await queue.setAside(item, { code: errorCode(err) ?? 'UPLOAD_REFUSED', message: messageOf(err) });
      setAside += 1;
      return;
    }
    await queue.finish(item);
    uploaded += 1;
    log.debug({ messageId: meta.messageId, key: meta.messageKey }, 'uploaded');
  };

  const run = async () => {
    let failures = 0;
    while (!stop.signal.aborted) {
      const item = queue.head();
      if (!item) {
        await sleep(60_000, true);
        continue;
      }
      try {
        sending = true;
        await send(item).finally(() => {
          sending = false;
        });
        if (failures > 0) log.info({ failures, pending: queue.stats().pending }, 'uploading again');
        failures = 0;
      } catch (err) {
        if (stop.signal.aborted) break;
        failures += 1;
        const waitMs = Math.min(options.retry.maxMs, options.retry.minMs * 2 ** Math.min(failures - 1, 30));
        if (failures === 1 || failures % 20 === 0) {
          log.warn({ err, item: item.name, failures, waitMs, store: store.location }, 'upload failed; kept for retry');
        }
        await sleep(waitMs, false);
      }
    }
  };

  return {
    offer,
    start() {
      if (loop || stop.signal.aborted) return;
      loop = run().catch((err: unknown) => log.error({ err }, 'upload loop failed'));
    },
    stats: () => ({
      pending: queue.stats().pending,
      pendingBytes: queue.stats().bytes,
      uploaded,
      setAside,
      offered: { ...offered },
    }),
    async drained(timeoutMs) {
      const end = Date.now() + timeoutMs;
      while (queue.stats().pending > 0 || sending) {
        if (Date.now() >= end) return false;
        await new Promise((r) => setTimeout(r, 50));
      }
      return true;
    },
    async close() {
      if (stop.signal.aborted) return;
      stop.abort(new UploadError('UPLOAD_CLOSED', 'the uploader is closing'));
      poke();
      await loop;
      await store.close();
    },
  };
}
