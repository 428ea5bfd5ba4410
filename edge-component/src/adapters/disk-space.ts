/**
 * Free space on the work folder's file system (statfs), checked every `intervalMs`: below
 * `minFreeBytes` the disk counts as full until there is `minFreeBytes` plus a margin again (so that
 * intake does not flap at the edge). `gateOnDiskSpace` puts it in front of the camera source: while the
 * disk is full the source says why it is paused (the intake takes no new file, the status says
 * degraded with that reason), and files wait safely in the camera folder until there is room.
 */
import { statfs } from 'node:fs/promises';
import { type Logger, silentLogger } from '../log.ts';
import type { CameraSource } from '../ports.ts';

export interface DiskSpaceOptions {
  /** A folder on the file system to watch (the work folder). */
  readonly dir: string;
  /** Below this many free bytes (for an unprivileged writer) the disk is full. 0: only when none is free. */
  readonly minFreeBytes: number;
  /** How often free space is checked. Default 1000 ms. */
  readonly intervalMs?: number;
  readonly log?: Logger;
  /** Free bytes of `dir` (tests give a fake). Default: statfs, blocks available to a non-root writer. */
  readonly freeBytes?: (dir: string) => Promise<number>;
}

export interface DiskSpaceMonitor {
  /** Why intake is paused (the disk is full), or undefined while there is room. */
  lowReason(): string | undefined;
  /** Checks now. */
  check(): Promise<void>;
  start(): void;
  stop(): void;
}

const MiB = 1024 * 1024;

async function statfsFree(dir: string): Promise<number> {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
}

export function createDiskSpaceMonitor(options: DiskSpaceOptions): DiskSpaceMonitor {
  const { dir, minFreeBytes } = options;
  const log = options.log ?? silentLogger();
  const freeBytes = options.freeBytes ?? statfsFree;
  const intervalMs = options.intervalMs ?? 1000;
  // Room again only with a margin above the threshold: a tenth of it, at most 16 MiB.
  const resumeBytes = minFreeBytes + Math.min(Math.ceil(minFreeBytes / 10), 16 * MiB);
  let reason: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let checking: Promise<void> | undefined;

  const check = () => {
    checking ??= (async () => {
      try {
        const free = await freeBytes(dir);
        const full = reason === undefined ? free < minFreeBytes || free === 0 : free < resumeBytes || free === 0;
        if (full && reason === undefined) {
          reason = `disk full: ${free} bytes free on the file system of ${dir}, below limits.minFreeBytes ${minFreeBytes}: intake paused until there is room`;
          log.error({ dir, freeBytes: free, minFreeBytes }, 'disk full: intake paused');
        } else if (!full && reason !== undefined) {
          reason = undefined;
          log.info({ dir, freeBytes: free }, 'disk space back: intake resumes');
        }
      } catch (err) {
        // The folder cannot be looked at (removed, not yet made): no verdict on the space; logged.
        log.warn({ err, dir }, 'free space not known');
      } finally {
        checking = undefined;
      }
    })();
    return checking;
  };

  return {
    lowReason: () => reason,
    check,
    start() {
      if (timer) return;
      void check();
      timer = setInterval(() => void check(), intervalMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}

/** How often a file held at the gate looks again whether there is room. */
const GATE_POLL_MS = 200;

const nap = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });

/**
 * The camera source, paused (with the disk's reason) while the disk is full: `paused()` says why, and a
 * file the source found meanwhile is held (it stays in the camera folder) until there is room.
 */
export function gateOnDiskSpace<C extends CameraSource>(camera: C, disk: Pick<DiskSpaceMonitor, 'lowReason'>): C {
  async function* files(signal: AbortSignal) {
    for await (const file of camera.files(signal)) {
      while (disk.lowReason() !== undefined && !signal.aborted) await nap(GATE_POLL_MS, signal);
      if (signal.aborted) return;
      yield file;
    }
  }
  return { ...camera, files, paused: () => disk.lowReason() ?? camera.paused?.() };
}
