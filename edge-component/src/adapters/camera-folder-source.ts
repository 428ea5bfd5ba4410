/**
 * CameraSource over a local folder, watched with the operating system's folder notifications
 * (`fs.watch` of the folder itself, inotify on Linux; files in sub-folders such as done/ and
 * quarantine/ are never seen). Not chokidar: on every burst of changes chokidar re-reads the whole
 * folder and lstats every file in it (at most once a second), which with a backlog of thousands of
 * images cost 15-18 % of the agent's main thread (CPU profile of `edgeqc bench --images 3000`); the
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
 *   This covers a camera writing in place and the backlog (which a watcher's own
 *   write-finish wait, such as chokidar's awaitWriteFinish, would not cover). Hidden and temporary names are ignored (camera-names.ts).
 * - Bounded memory: at most `maxPending` paths wait for their stability check. When more land, their
 *   events are dropped and an `overflow` flag is set; once the pending set drains to half, the folder
 *   is rescanned for the oldest files not yet yielded (the scan keeps only as many as fit).
 * - A path is yielded at most once while it stays in the folder: it is remembered until `markDone` or until
 *   a notification for it finds it gone; this set holds only files the consumer has not yet moved out.
 */
import { type FSWatcher, watch } from 'node:fs';
import { open, opendir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { hasCode } from '../errors.ts';
import type { CameraFile, CameraSource } from '../ports.ts';
import { isIgnoredCameraName } from './camera-names.ts';
import { hasImageTrailer, isCompleteImage } from './image-complete.ts';

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
}

interface Pending {
  sizeBytes: number;
  mtimeMs: number;
  /** When size/mtime were last seen to change (ms since epoch). */
  changedAt: number;
  /** Whether the bytes at this size/mtime are a provably complete image (undefined: not looked yet). */
  complete?: boolean;
}

/** Counters for tests and the status heartbeat. */
export interface CameraFolderStats {
  readonly pending: number;
  readonly yieldedNotDone: number;
  readonly overflowed: boolean;
  readonly rescans: number;
}

export interface CameraFolderSource extends CameraSource {
  stats(): CameraFolderStats;
}

export function createCameraFolderSource(options: CameraFolderSourceOptions): CameraFolderSource {
  const dir = resolve(options.dir);
  const stabilityMs = options.stabilityMs ?? 1000;
  const settleMs = Math.min(stabilityMs, options.settleMs ?? 30);
  const maxPending = options.maxPending ?? 1000;
  const rescanIntervalMs = options.rescanIntervalMs ?? 60_000;
  if (!(maxPending >= 1)) throw new RangeError(`maxPending must be >= 1, got ${maxPending}`);

  const pending = new Map<string, Pending>();
  const yielded = new Set<string>();
  let overflow = false;
  let rescans = 0;
  let lastScanAt = 0;
  let rescanNeeded = false;
  let watchLost = false;
  const folderName = basename(dir);
  let wake: (() => void) | undefined;

  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  const offer = (path: string) => {
    if (yielded.has(path)) return;
    const known = pending.get(path);
    if (known) {
      known.changedAt = Date.now();
      known.complete = undefined;
    } else if (pending.size < maxPending) {
      pending.set(path, { sizeBytes: -1, mtimeMs: -1, changedAt: Date.now() });
    } else {
      overflow = true;
    }
    notify();
  };

  const forget = (path: string) => {
    pending.delete(path);
    yielded.delete(path);
  };

  /** Adds the oldest files not yet pending or yielded, as many as fit; sets `overflow` if some did not. */
  const scan = async () => {
    rescans += 1;
    lastScanAt = Date.now();
    overflow = false;
    rescanNeeded = false;
    const room = maxPending - pending.size;
    if (room <= 0) {
      overflow = true;
      return;
    }
    // Sorted ascending by mtime, never longer than `room`.
    const oldest: { path: string; mtimeMs: number; sizeBytes: number }[] = [];
    // A missing folder (removed, not yet recreated) is empty for now; the watch is retried every second.
    const handle = await opendir(dir).catch((err: unknown) => {
      if (hasCode(err, 'ENOENT')) return undefined;
      throw err;
    });
    if (!handle) return;
    for await (const entry of handle) {
      if (!entry.isFile() || isIgnoredCameraName(entry.name)) continue;
      const path = join(dir, entry.name);
      if (yielded.has(path) || pending.has(path)) continue;
      const s = await stat(path).catch(() => undefined);
      if (!s?.isFile()) continue;
      if (oldest.length >= room) {
        overflow = true;
        const last = oldest[oldest.length - 1];
        if (last !== undefined && s.mtimeMs >= last.mtimeMs) continue;
        oldest.pop();
      }
      let i = oldest.length;
      while (i > 0 && (oldest[i - 1]?.mtimeMs ?? 0) > s.mtimeMs) i -= 1;
      oldest.splice(i, 0, { path, mtimeMs: s.mtimeMs, sizeBytes: s.size });
    }
    const now = Date.now();
    for (const f of oldest) pending.set(f.path, { sizeBytes: f.sizeBytes, mtimeMs: f.mtimeMs, changedAt: now });
  };

  /** Re-stats the pending paths that are due; returns the complete ones (see the file comment), oldest first. */
  const checkPending = async (): Promise<CameraFile[]> => {
    const now = Date.now();
    const ready: CameraFile[] = [];
    for (const [path, p] of pending) {
      // Not due yet: seen (or told by the watcher) to change less than settleMs ago, or known not to be
      // a complete image and not yet stable for stabilityMs. A watcher event makes it due again.
      const since = now - p.changedAt;
      if (p.sizeBytes !== -1 && (since < settleMs || (p.complete === false && since < stabilityMs))) continue;
      const s = await stat(path).catch(() => undefined);
      if (!s?.isFile()) {
        pending.delete(path);
        continue;
      }
      if (s.size !== p.sizeBytes || s.mtimeMs !== p.mtimeMs) {
        p.sizeBytes = s.size;
        p.mtimeMs = s.mtimeMs;
        p.changedAt = now;
        p.complete = undefined;
      } else if (now - p.changedAt >= stabilityMs) {
        ready.push({ path, sizeBytes: s.size, mtimeMs: s.mtimeMs });
      } else if (now - p.changedAt >= settleMs) {
        p.complete ??= await provablyComplete(path, s.size);
        if (p.complete) ready.push({ path, sizeBytes: s.size, mtimeMs: s.mtimeMs });
      }
    }
    return ready.sort((a, b) => a.mtimeMs - b.mtimeMs || (a.path < b.path ? -1 : 1));
  };

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
      rescanNeeded = true;
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
    if (!yielded.has(path)) {
      offer(path);
    } else if (event === 'rename') {
      // A yielded file moved out or deleted: forget it, so that a new file of that name is seen.
      stat(path).then(
        () => undefined,
        () => forget(path),
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
          rescanNeeded = true;
          notify();
        });
        watcher = w;
      } catch {
        watcher = undefined;
      }
    };
    try {
      startWatching();
      await scan();
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
          rescanNeeded = true;
        }
        if (rescanNeeded || (overflow && pending.size <= maxPending / 2)) await scan();
        else if (rescanIntervalMs > 0 && Date.now() - lastScanAt >= rescanIntervalMs) await scan();
        if (pending.size === 0) {
          const idleMs = rescanIntervalMs > 0 ? rescanIntervalMs : 3_600_000;
          await sleep(watcher ? idleMs : Math.min(idleMs, 1000), signal);
          continue;
        }
        const ready = await checkPending();
        for (const file of ready) {
          if (signal.aborted) return;
          // The consumer may have been slow: confirm the file is still there and unchanged.
          const s = await stat(file.path).catch(() => undefined);
          const p = pending.get(file.path);
          if (!p) continue;
          if (!s?.isFile() || s.size !== file.sizeBytes || s.mtimeMs !== file.mtimeMs) {
            if (!s?.isFile()) pending.delete(file.path);
            else Object.assign(p, { sizeBytes: s.size, mtimeMs: s.mtimeMs, changedAt: Date.now() });
            continue;
          }
          pending.delete(file.path);
          yielded.add(file.path);
          yield file;
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
      yielded.delete(resolve(path));
    },
    stats: () => ({ pending: pending.size, yieldedNotDone: yielded.size, overflowed: overflow, rescans }),
  };
}

/**
 * Whether the file's `sizeBytes` bytes are a complete JPEG/PNG (image-complete.ts). The last bytes are
 * looked at first, so a file without an image's end is not read. False when the file cannot be read or
 * has another size now.
 */
async function provablyComplete(path: string, sizeBytes: number): Promise<boolean> {
  if (sizeBytes < 16) return false;
  const handle = await open(path, 'r').catch(() => undefined);
  if (!handle) return false;
  try {
    const tail = new Uint8Array(12);
    const { bytesRead } = await handle.read(tail, 0, 12, sizeBytes - 12);
    if (bytesRead !== 12 || !hasImageTrailer(tail)) return false;
    const bytes = new Uint8Array(sizeBytes + 1); // one more: a file that grew meanwhile is not complete
    let filled = 0;
    for (;;) {
      const r = await handle.read(bytes, filled, bytes.length - filled, filled);
      if (r.bytesRead === 0) break;
      filled += r.bytesRead;
      if (filled === bytes.length) return false;
    }
    return filled === sizeBytes && isCompleteImage(bytes.subarray(0, sizeBytes));
  } catch {
    return false;
  } finally {
    await handle.close().catch(() => undefined);
  }
}
