/**
 * The outbox's dead-letter file: messages the broker refused for good (not authorised, too large, ...)
 * are written here, then removed from the outbox, so that one refused message never blocks the ones
 * behind it. A person can read (and, once the cause is fixed, re-publish) them.
 *
 *   <outbox dir>/dead-letter/dead-letter.jsonl     one JSON line per message, oldest first
 *   <outbox dir>/dead-letter/dead-letter.1.jsonl   the previous file, after a rotation
 *
 * A line: `{ at, seq, topic, messageId?, sizeBytes, code, reasonCode?, reason, payloadBase64 }`. Each
 * line is fdatasync'ed before the entry leaves the outbox, so a refused message is never lost.
 *
 * Bounded: when the current file would pass half of `maxBytes` it becomes dead-letter.1.jsonl (the
 * older .1 is deleted), so the folder holds at most `maxBytes` (default 16 MiB: about a hundred
 * 128 KB messages, thousands of typical inspections). A refused message is also reported on /errors;
 * the file keeps the payload the event leaves out.
 */
import { mkdir, open, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface DeadLetter {
  readonly seq: number;
  readonly topic: string;
  readonly messageId?: string;
  readonly payload: Uint8Array;
  /** The error code of the refusal (PUBLISH_REFUSED). */
  readonly code: string;
  /** The MQTT 5 reason code, when the broker answered with one. */
  readonly reasonCode?: number;
  /** What the broker or the client said. */
  readonly reason: string;
}

export interface DeadLetterFile {
  /** Where the current file is. */
  readonly path: string;
  /** Appends one line durably (fdatasync). */
  write(letter: DeadLetter, at: Date): Promise<void>;
}

export const DEAD_LETTER_DIR = 'dead-letter';
export const DEFAULT_DEAD_LETTER_MAX_BYTES = 16 * 1024 * 1024;

export function createDeadLetterFile(options: {
  readonly outboxDir: string;
  readonly maxBytes?: number;
}): DeadLetterFile {
  const dir = join(options.outboxDir, DEAD_LETTER_DIR);
  const path = join(dir, 'dead-letter.jsonl');
  const previous = join(dir, 'dead-letter.1.jsonl');
  const half = Math.max(1, Math.floor((options.maxBytes ?? DEFAULT_DEAD_LETTER_MAX_BYTES) / 2));
  let size: number | undefined;

  return {
    path,
    async write(letter, at) {
      const line = `${JSON.stringify({
        at: at.toISOString(),
        seq: letter.seq,
        topic: letter.topic,
        ...(letter.messageId !== undefined ? { messageId: letter.messageId } : {}),
        sizeBytes: letter.payload.length,
        code: letter.code,
        ...(letter.reasonCode !== undefined ? { reasonCode: letter.reasonCode } : {}),
        reason: letter.reason,
        payloadBase64: Buffer.from(letter.payload).toString('base64'),
      })}\n`;
      const bytes = Buffer.byteLength(line);
      if (size === undefined) {
        await mkdir(dir, { recursive: true });
        size = await stat(path).then(
          (s) => s.size,
          () => 0,
        );
      }
      if (size > 0 && size + bytes > half) {
        await rename(path, previous);
        size = 0;
      }
      const handle = await open(path, 'a');
      try {
        await handle.write(line);
        await handle.datasync();
      } finally {
        await handle.close();
      }
      size += bytes;
    },
  };
}
