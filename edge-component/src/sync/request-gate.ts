/**
 * The synchronous path's admission: at most `concurrency` requests run at once and at most `maxQueue`
 * wait behind them, holding together at most `maxQueueBytes` of image (a request that would pass it
 * waits only if the queue is empty, so one large image is never refused for ever); a request past that
 * is refused at once (SYNC_QUEUE_FULL: the client retries later), never queued without bound. Every request has a deadline (`timeoutMs` from its arrival): one still
 * waiting then leaves the queue (SYNC_TIMEOUT); one running is answered SYNC_TIMEOUT but keeps its slot
 * until its work really ends, so the detector is never given more than `concurrency` images at once.
 *
 * Why a second queue beside the folder pipeline's: a camera folder holds its backlog on disk and the
 * pipeline pulls at its own pace, while a synchronous client holds a connection and memory per request;
 * bounding those requests and refusing early is what keeps the device's memory flat under overload.
 * The byte bound is the one that matters for raw bitmaps: a 4096 x 4096 RGB image sent inline is
 * 48 MiB, held from its arrival to its answer.
 */
import { SyncInspectionError } from '../errors.ts';

export interface RequestGateOptions {
  /** Requests running at once (>= 1). */
  readonly concurrency: number;
  /** Requests waiting for a slot (>= 0). */
  readonly maxQueue: number;
  /** Image bytes the waiting requests may hold together (>= 0); default: no bound. */
  readonly maxQueueBytes?: number;
  /** From arrival to answer. */
  readonly timeoutMs: number;
}

export interface RequestGate {
  /** Runs `work` in its turn, within the deadline; `bytes`: the image bytes the request holds while it waits. */
  run<T>(work: () => Promise<T>, bytes?: number): Promise<T>;
  /** Refuses every waiting and later request with SYNC_STOPPING. */
  close(): void;
  /** Requests running and waiting now, and the image bytes the waiting ones hold. */
  load(): { readonly running: number; readonly waiting: number; readonly waitingBytes: number };
  /** A fair wait before trying again after a refusal: the queue ahead at the average service time. */
  retryAfterMs(): number;
}

interface Waiter {
  readonly bytes: number;
  readonly start: () => void;
  readonly fail: (err: Error) => void;
}

export function createRequestGate(options: RequestGateOptions): RequestGate {
  const concurrency = Math.max(1, Math.floor(options.concurrency));
  const maxQueue = Math.max(0, Math.floor(options.maxQueue));
  const maxQueueBytes = Math.max(0, options.maxQueueBytes ?? Number.POSITIVE_INFINITY);
  const waiting: Waiter[] = [];
  let waitingBytes = 0;
  let running = 0;
  let closed = false;
  /** Exponential moving average of a request's run time. */
  let averageMs = 0;

  /** Takes `w` out of the queue (false when it was no longer there). */
  const leave = (w: Waiter): boolean => {
    const at = waiting.indexOf(w);
    if (at < 0) return false;
    waiting.splice(at, 1);
    waitingBytes -= w.bytes;
    return true;
  };

  const release = (ranMs: number) => {
    running -= 1;
    averageMs = averageMs === 0 ? ranMs : averageMs * 0.8 + ranMs * 0.2;
    const next = waiting[0];
    if (next && leave(next)) next.start();
  };

  const full = (why: string) =>
    new SyncInspectionError('SYNC_QUEUE_FULL', `${running} requests running and ${why}: try again later`);

  const timeout = () =>
    new SyncInspectionError('SYNC_TIMEOUT', `the request was not answered within ${options.timeoutMs} ms`);

  /** Resolves when a slot is ours (running was counted), or rejects. */
  const acquire = (deadline: number, bytes: number): Promise<void> => {
    if (closed) return Promise.reject(new SyncInspectionError('SYNC_STOPPING', 'the agent is stopping'));
    if (running < concurrency && waiting.length === 0) {
      running += 1;
      return Promise.resolve();
    }
    if (waiting.length >= maxQueue) {
      return Promise.reject(full(`${waiting.length} waiting (at most ${maxQueue})`));
    }
    if (waiting.length > 0 && waitingBytes + bytes > maxQueueBytes) {
      return Promise.reject(
        full(`${waiting.length} waiting with ${waitingBytes} bytes of image (at most ${maxQueueBytes} together)`),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        bytes,
        start: () => {
          clearTimeout(timer);
          running += 1;
          resolve();
        },
        fail: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      const timer = setTimeout(
        () => {
          leave(waiter);
          reject(timeout());
        },
        Math.max(0, deadline - Date.now()),
      );
      waiting.push(waiter);
      waitingBytes += bytes;
    });
  };

  return {
    async run(work, bytes = 0) {
      const deadline = Date.now() + options.timeoutMs;
      await acquire(deadline, bytes);
      const startedAt = Date.now();
      const done = work().finally(() => release(Date.now() - startedAt));
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(timeout()), Math.max(0, deadline - Date.now()));
      });
      try {
        return await Promise.race([done, late]);
      } finally {
        clearTimeout(timer);
        done.catch(() => undefined); // answered late: its outcome is no longer anyone's
      }
    },

    close() {
      closed = true;
      waitingBytes = 0;
      for (const w of waiting.splice(0)) w.fail(new SyncInspectionError('SYNC_STOPPING', 'the agent is stopping'));
    },

    load: () => ({ running, waiting: waiting.length, waitingBytes }),

    retryAfterMs() {
      const ahead = running + waiting.length;
      return Math.max(1000, Math.ceil(((averageMs || 100) * ahead) / concurrency));
    },
  };
}
