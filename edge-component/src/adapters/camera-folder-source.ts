/**
 * CameraSource over a local folder, watched with the operating system's folder notifications
 * (`fs.watch` of the folder itself, inotify on Linux; files in sub-folders such as done/ and
 * quarantine/ are never seen). Not chokidar: on every burst of changes chokidar re-reads the whole
 * folder and lstats every file in it (at most once a second), which with a backlog of thousands of
 * images cost a noticeable share of the agent's main thread (a CPU profile of `edgeqc bench`); the
 * notifications here cost one entry per event, and this source does its own stats anyway.
 * An event is only a hint: a name is made due and stat'ed; a notification lost (the watch failing,
 * or an event without a name) leads to a rescan of the folder, and so does `rescanIntervalMs`.
 *
 * - Start-up: the watcher starts first, then the folder is scanned; the backlog is yielded oldest
 *   first (by mtime), then new files as they land (everything pending is yielded oldest first).
 * - Complete files only (never a half-written one), by one of two rules, and a last stat just before
 *   yielding must agree with the one the rule used:
 *   - provably complete: two stats at least `settleMs` apart saw the same size and mtime, AND the
 *     bytes are a JPEG/PNG whose own structure ends exactly at the end of the file (image-complete.ts:
 *     JPEG segments walked up to EOI, PNG chunks up to IEND). A file renamed in complete is admitted
 *     after about `settleMs`; one being written in place has no end yet (or grows) and waits.
 *   - stable: two stats `stabilityMs` apart saw the same size and mtime (any other file, e.g. a
 *     truncated image, which the preparer then quarantines, or trailing bytes after the image's end).
 *   This covers a camera writing in place and the backlog (which a watcher's own write-finish wait,
 *   such as chokidar's awaitWriteFinish, would not cover). Hidden and temporary names are ignored
 *   (camera-names.ts).
 * - Bounded memory (camera-backlog.ts): at most `maxPending` paths wait for their stability check. When more land, their
 *   events are dropped and an `overflow` flag is set; once the pending set drains to half, the folder
 *   is rescanned for the oldest files not yet yielded (the scan keeps only as many as fit).
 * - A path is yielded at most once while it stays in the folder: it is remembered until `markDone` or
 *   until a notification for it finds it gone; this set holds only files the consumer has not yet
 *   moved out. After `markDone`, a file found under that name (one renamed over the yielded file while
 *   it was inspected) is offered again as a new file.
 * - No following, no reading before the size check: every stat is an lstat; a symbolic link, FIFO,
 *   socket or device is yielded at once for the consumer to refuse (quarantine) without opening it;
 *   a file larger than `maxFileBytes` is never read by the completeness check (it waits `stabilityMs`
 *   and is yielded, for the preparer to refuse by size). Each yielded file carries its identity
 *   (device, inode, size, mtime) from the lstat that confirmed it (`identityOf`).
 */
import { type FSWatcher, watch } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { CameraFile, CameraSource, FileIdentity } from '../ports.ts';
import { type CameraFolderStats, createCameraBacklog } from './camera-backlog.ts';
import { isIgnoredCameraName } from './camera-names.ts';

export type { CameraFolderStats } from './camera-backlog.ts';

export interface CameraFolderSourceOptions {
  /** The camera folder. */
  readonly dir: string;
  /**
   * How long size and mtime must stay the same before a file that is not provably a complete image
   * counts as complete. Default 1000 ms.
   */
  readonly stabilityMs?: number;
  /**
   * How long size and mtime must stay the same before a provably complete JPEG/PNG is admitted (and
   * the poll interval while files wait). Default 30 ms; at most `stabilityMs`.
   */
  readonly settleMs?: number;
  /** Most paths waiting for their stability check at once. Default 1000. */
  readonly maxPending?: number;
  /**
   * Rescan the folder this often even without an overflow, as a safety net for a missed watcher event
   * (network file systems). Default 60000 ms; 0 disables it.
   */
  readonly rescanIntervalMs?: number;
  /**
   * Files larger than this are never read by the completeness check (the preparer refuses them by
   * size). Default 20 MiB; give the agent's `limits.maxFileBytes`.
   */
  readonly maxFileBytes?: number;
}

export interface CameraFolderSource extends CameraSource {
  stats(): CameraFolderStats;
  /** The identity a yielded, not yet done path had when it was yielded (undefined otherwise). */
  identityOf(path: string): FileIdentity | undefined;
}

export function createCameraFolderSource(options: CameraFolderSourceOptions): CameraFolderSource {
  const dir = resolve(options.dir);
  const stabilityMs = options.stabilityMs ?? 1000;
  const settleMs = Math.min(stabilityMs, options.settleMs ?? 30);
  const maxPending = options.maxPending ?? 1000;
  const rescanIntervalMs = options.rescanIntervalMs ?? 60_000;
  const maxFileBytes = options.maxFileBytes ?? 20 * 1024 * 1024;
  if (!(maxPending >= 1)) throw new RangeError(`maxPending must be >= 1, got ${maxPending}`);

  let watchLost = false;
  const folderName = basename(dir);
  let wake: (() => void) | undefined;

  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const backlog = createCameraBacklog({
    dir,
    stabilityMs,
    settleMs,
    maxPending,
    rescanIntervalMs,
    maxFileBytes,
    onOffer: notify,
  });

  const sleep = (ms: number, signal: AbortSignal) =>
    new Promise<void>((done) => {
      const timer = setTimeout(finish, ms);
      wake = finish;
      signal.addEventListener('abort', finish, { once: true });
      function finish() {
        clearTimeout(timer);
        signal.removeEventListener('abort', finish);
        if (wake === finish) wake = undefined;
        done();
      }
    });

  /** A folder notification: the name is a hint, made due (or forgotten once it is gone). */
  const onEvent = (event: string, name: string | Buffer | null) => {
    if (name === null) {
      backlog.requestRescan();
      notify();
      return;
    }
    const entry = String(name);
    if (entry === folderName) {
      // The folder itself was removed or renamed (or a file of the folder's name changed): the watch
      // may be dead; watch the path again and rescan.
      watchLost = true;
      notify();
    }
    if (isIgnoredCameraName(entry)) return;
    const path = join(dir, entry);
    if (!backlog.isYielded(path)) {
      backlog.offer(path);
    } else if (event === 'rename') {
      // A yielded file moved out or deleted: forget it, so that a new file of that name is seen.
      lstat(path).then(
        () => undefined,
        () => backlog.forget(path),
      );
    }
  };

  async function* files(signal: AbortSignal): AsyncGenerator<CameraFile> {
    let watcher: FSWatcher | undefined;
    const startWatching = () => {
      try {
        const w = watch(dir, { persistent: false }, onEvent);
        w.on('error', () => {
          w.close();
          if (watcher === w) watcher = undefined;
          backlog.requestRescan();
          notify();
        });
        watcher = w;
      } catch {
        watcher = undefined;
      }
    };
    try {
      startWatching();
      await backlog.scan();
      const pollMs = Math.max(10, Math.min(settleMs, Math.floor(stabilityMs / 2)));
      while (!signal.aborted) {
        if (watchLost) {
          watchLost = false;
          watcher?.close();
          watcher = undefined;
        }
        if (!watcher) {
          // The notifications stopped (the folder was replaced, or the watch failed): watch again, rescan.
          startWatching();
          backlog.requestRescan();
        }
        if (backlog.scanDue()) await backlog.scan();
        if (backlog.pendingCount === 0) {
          const idleMs = rescanIntervalMs > 0 ? rescanIntervalMs : 3_600_000;
          await sleep(watcher ? idleMs : Math.min(idleMs, 1000), signal);
          continue;
        }
        const ready = await backlog.due();
        for (const file of ready) {
          if (signal.aborted) return;
          if (await backlog.claim(file)) yield file;
        }
        if (ready.length === 0) await sleep(pollMs, signal);
      }
    } finally {
      watcher?.close();
    }
  }

  return {
    files: (signal) => files(signal),
    markDone(path) {
      const p = resolve(path);
      backlog.markDone(p);
      // Something under that name now is another file (renamed over the one that was taken): offer it.
      lstat(p).then(
        () => backlog.offer(p),
        () => undefined,
      );
    },
    stats: () => backlog.stats(),
    identityOf: (path) => backlog.yieldedIdentity(resolve(path)),
  };
}
