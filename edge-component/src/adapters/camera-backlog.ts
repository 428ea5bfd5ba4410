/**
 * The camera folder's files on their way to the consumer: the paths waiting for their completeness
 * check (bounded by `maxPending`), and the paths yielded and not yet marked done (so that a path is
 * yielded at most once while it stays in the folder). See camera-folder-source.ts for the rules.
 * Every stat here is an lstat: a symbolic link is never followed; it, a FIFO, a socket or a device is
 * yielded at once (the preparer refuses it without opening it, and the agent quarantines it), and a
 * directory is passed over (it is not a file).
 */
import type { Stats } from 'node:fs';
import { lstat, opendir } from 'node:fs/promises';
import { join } from 'node:path';
import { hasCode } from '../errors.ts';
import type { CameraFile, FileIdentity } from '../ports.ts';
import { isIgnoredCameraName } from './camera-names.ts';
import { isCompleteImageFile } from './complete-image-file.ts';
import { identityOf } from './file-identity.ts';

/** lstat, or undefined when the entry is gone (or cannot be looked at). */
const lstatOrNone = (path: string): Promise<Stats | undefined> => lstat(path).catch(() => undefined);

/** A regular file, or an entry the agent quarantines (symlink, FIFO, socket, device); not a directory. */
const isCandidate = (s: Stats | undefined): s is Stats => s !== undefined && !s.isDirectory();

const cameraFile = (path: string, s: Stats): CameraFile => ({
  path,
  sizeBytes: s.size,
  mtimeMs: s.mtimeMs,
  identity: identityOf(s),
});

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

export interface CameraBacklogOptions {
  readonly dir: string;
  readonly stabilityMs: number;
  readonly settleMs: number;
  readonly maxPending: number;
  readonly rescanIntervalMs: number;
  /** Files larger than this are never read by the completeness check (they wait `stabilityMs`). */
  readonly maxFileBytes: number;
  /** Called when a path was offered: the consumer's loop may have something to check. */
  readonly onOffer: () => void;
}

export interface CameraBacklog {
  /** A hint that `path` changed: it is made due (a new one is added while there is room). */
  offer(path: string): void;
  isYielded(path: string): boolean;
  /** Forgets a path (its file is gone), so that a new file of that name is seen. */
  forget(path: string): void;
  markDone(path: string): void;
  /** The identity of a yielded path when it was claimed (undefined: not yielded now). */
  yieldedIdentity(path: string): FileIdentity | undefined;
  /** A notification may have been lost: the next `scanDue()` is true. */
  requestRescan(): void;
  /** A rescan was requested, an overflow drained to half, or the rescan interval passed. */
  scanDue(): boolean;
  /** Adds the oldest files not yet pending or yielded, as many as fit; notes an overflow if some did not. */
  scan(): Promise<void>;
  readonly pendingCount: number;
  /** Re-stats the pending paths that are due; returns the complete ones, oldest first. */
  due(): Promise<CameraFile[]>;
  /** Confirms a due file just before it is yielded (still there, unchanged); true: it counts as yielded. */
  claim(file: CameraFile): Promise<boolean>;
  stats(): CameraFolderStats;
}

export function createCameraBacklog(options: CameraBacklogOptions): CameraBacklog {
  const { dir, stabilityMs, settleMs, maxPending, rescanIntervalMs } = options;
  const pending = new Map<string, Pending>();
  /** Yielded, not yet done: the path and the identity it had when claimed. */
  const yielded = new Map<string, FileIdentity | undefined>();
  let overflow = false;
  let rescans = 0;
  let lastScanAt = 0;
  let rescanNeeded = false;

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
      if (entry.isDirectory() || isIgnoredCameraName(entry.name)) continue;
      const path = join(dir, entry.name);
      if (yielded.has(path) || pending.has(path)) continue;
      const s = await lstatOrNone(path);
      if (!isCandidate(s)) continue;
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

  const due = async (): Promise<CameraFile[]> => {
    const now = Date.now();
    const ready: CameraFile[] = [];
    for (const [path, p] of pending) {
      // Not due yet: seen (or told by the watcher) to change less than settleMs ago, or known not to be
      // a complete image and not yet stable for stabilityMs. A watcher event makes it due again.
      const since = now - p.changedAt;
      if (p.sizeBytes !== -1 && (since < settleMs || (p.complete === false && since < stabilityMs))) continue;
      const s = await lstatOrNone(path);
      if (!isCandidate(s)) {
        pending.delete(path);
        continue;
      }
      if (!s.isFile()) {
        // Not a regular file: nothing to wait for, and nothing is read (the preparer refuses it).
        ready.push(cameraFile(path, s));
        continue;
      }
      if (s.size !== p.sizeBytes || s.mtimeMs !== p.mtimeMs) {
        p.sizeBytes = s.size;
        p.mtimeMs = s.mtimeMs;
        p.changedAt = now;
        p.complete = undefined;
      } else if (now - p.changedAt >= stabilityMs) {
        ready.push(cameraFile(path, s));
      } else if (now - p.changedAt >= settleMs) {
        // The size limit first, from this same lstat: a file over it is never read here.
        p.complete ??= await isCompleteImageFile(path, s.size, options.maxFileBytes);
        if (p.complete) ready.push(cameraFile(path, s));
      }
    }
    return ready.sort((a, b) => a.mtimeMs - b.mtimeMs || (a.path < b.path ? -1 : 1));
  };

  return {
    offer(path) {
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
      options.onOffer();
    },
    isYielded: (path) => yielded.has(path),
    forget(path) {
      pending.delete(path);
      yielded.delete(path);
    },
    markDone(path) {
      yielded.delete(path);
    },
    yieldedIdentity: (path) => yielded.get(path),
    requestRescan() {
      rescanNeeded = true;
    },
    scanDue: () =>
      rescanNeeded ||
      (overflow && pending.size <= maxPending / 2) ||
      (rescanIntervalMs > 0 && Date.now() - lastScanAt >= rescanIntervalMs),
    scan,
    get pendingCount() {
      return pending.size;
    },
    due,
    async claim(file) {
      // The consumer may have been slow: confirm the file is still there and unchanged.
      const s = await lstatOrNone(file.path);
      const p = pending.get(file.path);
      if (!p) return false;
      const same = s !== undefined && file.identity !== undefined && sameAs(file.identity, s);
      if (!same) {
        if (!isCandidate(s)) pending.delete(file.path);
        else Object.assign(p, { sizeBytes: s.size, mtimeMs: s.mtimeMs, changedAt: Date.now(), complete: undefined });
        return false;
      }
      pending.delete(file.path);
      yielded.set(file.path, file.identity);
      return true;
    },
    stats: () => ({ pending: pending.size, yieldedNotDone: yielded.size, overflowed: overflow, rescans }),
  };
}

function sameAs(identity: FileIdentity, s: Stats): boolean {
  return (
    identity.dev === s.dev && identity.ino === s.ino && identity.sizeBytes === s.size && identity.mtimeMs === s.mtimeMs
  );
}
