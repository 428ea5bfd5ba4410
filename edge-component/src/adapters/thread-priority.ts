/**
 * The model's thread first: every other thread of this process gets a higher nice value (a lower
 * scheduling priority), so that on a small CPU the thread that runs onnxruntime keeps a core to itself
 * while decoding, letterboxing, hashing, the outbox and MQTT share what is left. When the CPU is not
 * full, nice values change nothing.
 *
 * On a 2-core machine flooded with images (one intra-op thread, session in a worker), without it the
 * inference thread lost part of each run to the agent's other threads and ran slower than in a bare
 * loop (its core's cache shared with them); with the others at nice 10 each run kept its core, all
 * of its wall time on the CPU. Figures: docs/benchmarks.md (settings behind the defaults).
 *
 * Linux only: the threads are the entries of /proc/self/task, and setpriority(2) on a thread id
 * changes that thread alone. Elsewhere `supported` is false and nothing changes. Raising a nice value
 * needs no privilege, lowering it does: a thread started later by a lowered thread starts lowered (a
 * model loaded by a hot swap). A kept thread found lowered is set back to the nice value this process's
 * first thread had when this module loaded; without the privilege for that (root or CAP_SYS_NICE) it
 * stays lowered, reported as its `niceOfKept`.
 *
 * The threads to keep are registered here for the whole process (they are the process's threads,
 * whoever loaded the model): a pass lowers every thread that is not kept and whose nice value is below
 * the target. Passes run when a thread is kept and then every 10 s while any is, for threads started
 * since by a thread that was not lowered.
 */
import { readdirSync, readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

const TASKS = '/proc/self/task';
const REPASS_MS = 10_000;

/** A RangeError naming `who` unless `nice` is a nice value to lower threads to (an integer 0-19). */
export function checkNice(who: string, nice: number): void {
  if (!Number.isSafeInteger(nice) || nice < 0 || nice > 19) {
    throw new RangeError(`${who}: nice must be an integer from 0 to 19, got ${nice}`);
  }
}

/** The calling thread's id (Linux), or undefined where threads are not listed in /proc. */
export function currentThreadId(): number | undefined {
  try {
    const id = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isSafeInteger(id) && id > 0 ? id : undefined;
  } catch {
    return undefined;
  }
}

export interface KeptThread {
  /** False where this process's threads cannot be listed (not Linux): nothing was changed. */
  readonly supported: boolean;
  /** The kept thread's own nice value now (above 0 when it was started by a lowered thread). */
  readonly niceOfKept?: number;
  /** Threads lowered by the first pass. */
  readonly lowered: number;
  /** Stop keeping the thread (its model closed); the others stay where they are. */
  release(): void;
}

const kept = new Map<number, number>(); // thread id -> target nice of the others

/** The loading thread's nice value before anything was lowered: where a kept thread belongs. */
const baseNice = (() => {
  try {
    return getPriority();
  } catch {
    return 0;
  }
})();
let timer: NodeJS.Timeout | undefined;

function threadIds(): number[] | undefined {
  try {
    return readdirSync(TASKS)
      .map(Number)
      .filter((id) => Number.isSafeInteger(id));
  } catch {
    return undefined;
  }
}

/** Lowers every thread that is not kept to `nice` (threads already at or above it are left). */
function pass(nice: number): number {
  let lowered = 0;
  for (const id of threadIds() ?? []) {
    if (kept.has(id)) continue;
    try {
      if (getPriority(id) >= nice) continue;
      setPriority(id, nice);
      lowered += 1;
    } catch {
      // The thread ended between the listing and the call, or is not ours to change: leave it.
    }
  }
  return lowered;
}

const target = () => Math.max(0, ...kept.values());

function niceOf(threadId: number): number | undefined {
  try {
    return getPriority(threadId);
  } catch {
    return undefined;
  }
}

/**
 * Keeps thread `threadId` first (set back to the process's own nice value if it was started lowered
 * and the process may raise it) and lowers the others of this process to `nice` (1-19). `nice` 0
 * changes nothing.
 */
export function keepThreadFirst(threadId: number | undefined, nice: number): KeptThread {
  checkNice('keepThreadFirst', nice);
  const none: KeptThread = { supported: false, lowered: 0, release: () => undefined };
  if (nice === 0) return { ...none, supported: threadIds() !== undefined };
  if (threadId === undefined || threadIds() === undefined) return none;
  kept.set(threadId, nice);
  let niceOfKept = niceOf(threadId);
  if (niceOfKept !== undefined && niceOfKept > baseNice) {
    try {
      setPriority(threadId, baseNice);
      niceOfKept = niceOf(threadId);
    } catch {
      // No privilege to raise it (EACCES): it stays lowered, and niceOfKept says so.
    }
  }
  const lowered = pass(target());
  if (!timer) {
    timer = setInterval(() => pass(target()), REPASS_MS);
    timer.unref();
  }
  let released = false;
  return {
    supported: true,
    lowered,
    ...(niceOfKept === undefined ? {} : { niceOfKept }),
    release() {
      if (released) return;
      released = true;
      kept.delete(threadId);
      if (kept.size === 0 && timer) {
        clearInterval(timer);
        timer = undefined;
      }
    },
  };
}
