/**
 * What `append` refuses before anything is written: an empty topic, a payload that is not bytes, an
 * entry larger than the whole outbox (OUTBOX_BAD_ENTRY), a payload larger than the broker takes
 * (OUTBOX_ENTRY_TOO_LARGE: it could never be delivered), and, with pause-intake, an entry past the
 * hard limit (OUTBOX_FULL). An accepted entry's record size (an upper bound) is returned.
 */
import { OutboxError } from '../../errors.ts';
import type { OutboxEntry } from '../../ports.ts';
import { HEADER_BYTES } from './record-codec.ts';

export interface OutboxFill {
  /** Largest payload the broker takes (AWS IoT Core: 128 KB); a larger one is refused (OUTBOX_ENTRY_TOO_LARGE). */
  readonly maxEntryBytes: number;
  readonly policy: 'pause-intake' | 'drop-oldest';
  readonly capacity: number;
  readonly maxBytes: number;
  /** pause-intake: appends are refused from this many entries (capacity plus a headroom). */
  readonly hardCount: number;
  /** pause-intake: appends are refused past this many record bytes (maxBytes plus a headroom). */
  readonly hardBytes: number;
  readonly pendingCount: number;
  readonly pendingBytes: number;
}

/** The record bytes of an accepted entry, or the OutboxError that refuses it. */
export function checkEntry(entry: Omit<OutboxEntry, 'seq'>, fill: OutboxFill): number | OutboxError {
  if (typeof entry.topic !== 'string' || entry.topic.length === 0) {
    return new OutboxError(
      'OUTBOX_BAD_ENTRY',
      `outbox entry topic: expected a non-empty string, got ${JSON.stringify(entry.topic)}`,
    );
  }
  if (!(entry.payload instanceof Uint8Array)) {
    return new OutboxError('OUTBOX_BAD_ENTRY', `outbox entry payload for ${entry.topic}: expected bytes (Uint8Array)`);
  }
  if (entry.payload.length > fill.maxEntryBytes) {
    return new OutboxError(
      'OUTBOX_ENTRY_TOO_LARGE',
      `message for ${entry.topic} is ${entry.payload.length} bytes; the broker takes at most ${fill.maxEntryBytes} (mqtt.maxMessageBytes)`,
    );
  }
  const bytes = HEADER_BYTES + 128 + entry.topic.length * 3 + (entry.messageId?.length ?? 0) * 3 + entry.payload.length;
  if (bytes > fill.maxBytes) {
    return new OutboxError(
      'OUTBOX_BAD_ENTRY',
      `outbox entry for ${entry.topic} is ${entry.payload.length} bytes; the outbox holds at most ${fill.maxBytes} bytes`,
    );
  }
  if (
    fill.policy === 'pause-intake' &&
    (fill.pendingCount >= fill.hardCount || fill.pendingBytes + bytes > fill.hardBytes)
  ) {
    return new OutboxError(
      'OUTBOX_FULL',
      `outbox full (${fill.pendingCount} entries, ${fill.pendingBytes} bytes; capacity ${fill.capacity}, maxBytes ${fill.maxBytes}): try again once the broker took messages`,
    );
  }
  return bytes;
}
