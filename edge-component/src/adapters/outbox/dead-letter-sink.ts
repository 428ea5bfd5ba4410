/**
 * What the outbox does with an entry the broker refused for good (see drain-loop.ts for how that is
 * told from a passing failure): the entry is written to the dead-letter file (dead-letter-file.ts,
 * fdatasync'ed), logged, removed from the outbox, and reported to the `onDeadLetter` listeners (the
 * agent puts it on /errors); delivery goes on with the next entry.
 */
import type { PublishError } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import type { DeadLetterNotice } from '../../ports.ts';
import { createDeadLetterFile } from './dead-letter-file.ts';

/** The stored entry's fields a dead letter needs. */
export interface RefusedEntry {
  readonly seq: number;
  readonly messageId?: string;
}

export interface DeadLetterSink {
  /** Adds a listener told of every dead-lettered entry, after it left the outbox. */
  onDeadLetter(listener: (notice: DeadLetterNotice) => void): void;
  /**
   * Writes the refused entry to the dead-letter file (durably) and logs it, then calls `remove` (which
   * takes it out of the outbox) and tells the listeners. Rejects when the file cannot be written (the
   * entry is then kept).
   */
  refuse(
    entry: RefusedEntry,
    message: { topic: string; payload: Uint8Array },
    err: PublishError,
    remove: () => void,
  ): Promise<void>;
}

export function createDeadLetterSink(options: {
  readonly outboxDir: string;
  /** Most bytes the dead-letter folder holds (two rotated files). Default 16 MiB. */
  readonly maxBytes?: number | undefined;
  /** The clock of the dead-letter lines. */
  readonly now: () => Date;
  readonly log: Logger;
}): DeadLetterSink {
  const { log, now } = options;
  const deadLetters = createDeadLetterFile({ outboxDir: options.outboxDir, maxBytes: options.maxBytes });
  const deadLetterListeners = new Set<(notice: DeadLetterNotice) => void>();
  return {
    onDeadLetter(listener) {
      deadLetterListeners.add(listener);
    },
    async refuse(e, message, err, remove) {
      const letter = {
        seq: e.seq,
        topic: message.topic,
        ...(e.messageId !== undefined ? { messageId: e.messageId } : {}),
        payload: message.payload,
        code: err.code,
        ...(err.reasonCode !== undefined ? { reasonCode: err.reasonCode } : {}),
        reason: err.message,
      };
      await deadLetters.write(letter, now());
      log.error(
        {
          seq: e.seq,
          topic: message.topic,
          messageId: e.messageId,
          sizeBytes: message.payload.length,
          code: err.code,
          reasonCode: err.reasonCode,
          file: deadLetters.path,
        },
        'outbox entry refused by the broker for good: dead-lettered, delivery goes on',
      );
      remove();
      const notice: DeadLetterNotice = {
        topic: message.topic,
        ...(e.messageId !== undefined ? { messageId: e.messageId } : {}),
        sizeBytes: message.payload.length,
        code: err.code,
        ...(err.reasonCode !== undefined ? { reasonCode: err.reasonCode } : {}),
        reason: err.message,
        file: deadLetters.path,
      };
      for (const listener of deadLetterListeners) {
        try {
          listener(notice);
        } catch (listenerErr) {
          log.error({ err: listenerErr }, 'outbox dead-letter listener failed');
        }
      }
    },
  };
}
