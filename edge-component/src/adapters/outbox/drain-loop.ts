/**
 * The outbox's one delivery loop: takes the oldest entry, publishes it (QoS 1; the Publisher resolves
 * on PUBACK) and reports the outcome; after a failure it waits with capped exponential backoff before
 * trying the SAME entry again (never reorders, never spins). The wait ends early when the publisher
 * comes back (it reported disconnected at the failure and is connected now) or the loop is stopped.
 *
 * A refusal for good is not retried: the entry goes to `source.refused` (the dead-letter file) and the
 * loop goes on with the next one. Permanent is what the publisher says (PUBLISH_REFUSED: an MQTT 5
 * reason code such as 135 Not authorized), or, for MQTT 3.1.1 brokers, which have no reason codes and
 * close the connection instead (AWS IoT Core), the same entry losing a working connection
 * `refuseAfterDrops` times in a row (default 5; the connection came back before each new try, so the
 * broker is reachable and it is this message it will not take).
 */
import { hasCode, PublishError } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import type { Publisher } from '../../ports.ts';

export interface DrainSource<E> {
  /** The oldest pending entry, or undefined. */
  head(): E | undefined;
  read(entry: E): Promise<{ topic: string; payload: Uint8Array }>;
  delivered(entry: E): void;
  /** The entry cannot be read back (damaged on disk): set it aside and go on. */
  unreadable(entry: E, err: unknown): void;
  /**
   * The broker refused the entry for good: record it (dead-letter file, /errors) and remove it. A
   * rejection leaves the entry in place, to be tried again like a failed publish.
   */
  refused(entry: E, message: { topic: string; payload: Uint8Array }, err: PublishError): Promise<void>;
  /** Resolves when there may be something to send (an append) or the signal aborted. */
  waitForWork(signal: AbortSignal): Promise<void>;
  /** Marks the entry as being sent (drop-oldest then leaves its release to the loop). */
  busy(entry: E | undefined): void;
}

export interface RetryOptions {
  /** First wait after a failure. Default 200 ms. */
  readonly minMs: number;
  /** Longest wait. Default 5000 ms. */
  readonly maxMs: number;
  /** An entry whose publish lost a working connection this many times in a row is refused. Default 5. */
  readonly refuseAfterDrops?: number;
}

const POLL_MS = 100;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

async function backoff(ms: number, signal: AbortSignal, cameBack: () => boolean): Promise<void> {
  const end = Date.now() + ms;
  while (!signal.aborted && Date.now() < end && !cameBack()) {
    await sleep(Math.min(POLL_MS, end - Date.now()), signal);
  }
}

export async function runDrainLoop<E extends { seq: number }>(options: {
  publisher: Publisher;
  source: DrainSource<E>;
  retry: RetryOptions;
  log: Logger;
  signal: AbortSignal;
}): Promise<void> {
  const { publisher, source, retry, log, signal } = options;
  let failures = 0;
  /** The entry whose publishes lost the connection, and how many times in a row. */
  let drops = { seq: -1, count: 0 };
  const refuseAfterDrops = retry.refuseAfterDrops ?? 5;
  while (!signal.aborted) {
    const entry = source.head();
    if (!entry) {
      await source.waitForWork(signal);
      continue;
    }
    source.busy(entry);
    let message: { topic: string; payload: Uint8Array };
    try {
      message = await source.read(entry);
    } catch (err) {
      source.busy(undefined);
      source.unreadable(entry, err);
      continue;
    }
    const connectedBefore = publisher.isConnected();
    try {
      await publisher.publish({ topic: message.topic, payload: message.payload, qos: 1 });
      source.busy(undefined);
      source.delivered(entry);
      drops = { seq: -1, count: 0 };
      if (failures > 0) log.info({ seq: entry.seq, failures }, 'outbox delivering again');
      failures = 0;
    } catch (caught) {
      source.busy(undefined);
      let err = caught;
      const lostConnection = connectedBefore && !publisher.isConnected();
      if (lostConnection && !hasCode(err, 'PUBLISH_REFUSED')) {
        drops = drops.seq === entry.seq ? { seq: entry.seq, count: drops.count + 1 } : { seq: entry.seq, count: 1 };
        if (drops.count >= refuseAfterDrops) {
          err = new PublishError(
            'PUBLISH_REFUSED',
            `the broker closed the connection at each of ${drops.count} tries to publish to ${message.topic} (${message.payload.length} bytes): refused (MQTT 3.1.1 has no reason codes)`,
            { cause: caught },
          );
        }
      }
      if (err instanceof PublishError && err.code === 'PUBLISH_REFUSED') {
        drops = { seq: -1, count: 0 };
        failures = 0;
        try {
          await source.refused(entry, message, err);
        } catch (recordErr) {
          // Not recorded (the disk?): the entry stays, and is tried again after the backoff.
          log.error({ err: recordErr, seq: entry.seq }, 'outbox: a refused entry could not be set aside; kept');
          await backoff(retry.maxMs, signal, () => false);
        }
        continue;
      }
      failures += 1;
      const waitMs = Math.min(retry.maxMs, retry.minMs * 2 ** Math.min(failures - 1, 20));
      if (failures === 1 || failures % 20 === 0) {
        log.warn(
          { err, seq: entry.seq, topic: message.topic, failures, waitMs },
          'outbox publish failed; kept for retry',
        );
      }
      const wasDown = !connectedBefore || !publisher.isConnected();
      await backoff(waitMs, signal, () => wasDown && publisher.isConnected());
    }
  }
}
