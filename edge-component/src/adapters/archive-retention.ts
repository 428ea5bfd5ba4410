/**
 * Retention of the archive's done/ and quarantine/ folders: each has an age quota and a size quota,
 * and a pass deletes the oldest files beyond either, at most `maxDeletesPerPass` files (the rest go in
 * the next pass), so a pass never holds the disk for long.
 *
 * Age and order: a file's age counts from its inode change time (ctime), which the kernel sets from the
 * system clock when the archive moved the file in, and which no camera or tool can set. A camera's mtime
 * (whatever its clock said) is never used: a file with an mtime years in the past or in the future is as
 * fresh as when it arrived. A ctime in the future (the system clock went back) counts as age 0. A
 * forward jump of the device's own clock ages every file by the jump; only the age quota sees it.
 *
 * What is deleted: regular files and symbolic links (never followed: the link, not its target), found
 * by lstat in done/<verdict>/, done/<verdict>/annotated/ and quarantine/. A quarantined file's
 * `<name>.reason.json` goes with it and counts in its size. Temporary names (`.x.tmp`) are left alone.
 */
import type { Stats } from 'node:fs';
import { lstat, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { FolderQuota } from '../config/intake-schemas.ts';
import { hasCode } from '../errors.ts';
import { type Logger, silentLogger } from '../log.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
const REASON_SUFFIX = '.reason.json';

export interface ArchiveRetentionOptions {
  /** The archive root (holds done/ and quarantine/). */
  readonly root: string;
  readonly done: FolderQuota;
  readonly quarantine: FolderQuota;
  /** Most files deleted in one pass (both folders together). */
  readonly maxDeletesPerPass: number;
  /** Time between passes. */
  readonly intervalMs: number;
  readonly log?: Logger;
  /** The wall clock (tests jump it). Default Date.now. */
  readonly now?: () => number;
}

export interface RetentionPass {
  readonly deleted: number;
  readonly freedBytes: number;
  /** True when the pass stopped at maxDeletesPerPass with more to delete. */
  readonly more: boolean;
}

export interface ArchiveRetention {
  /** One pass over both folders. */
  runOnce(): Promise<RetentionPass>;
  /** A pass now, then every intervalMs. */
  start(): void;
  stop(): Promise<void>;
}

interface Entry {
  readonly paths: readonly string[];
  readonly bytes: number;
  readonly ctimeMs: number;
}

async function entriesOf(dir: string): Promise<{ name: string; path: string; s: Stats }[]> {
  const names = await readdir(dir).catch((err: unknown) => {
    if (hasCode(err, 'ENOENT', 'ENOTDIR')) return [] as string[];
    throw err;
  });
  const out: { name: string; path: string; s: Stats }[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const s = await lstat(path).catch(() => undefined);
    if (s) out.push({ name, path, s });
  }
  return out;
}

const deletable = (name: string, s: Stats) =>
  (s.isFile() || s.isSymbolicLink()) && !(name.startsWith('.') && name.endsWith('.tmp'));

/** done/<verdict>/* and done/<verdict>/annotated/*. */
async function doneEntries(root: string): Promise<Entry[]> {
  const out: Entry[] = [];
  for (const verdict of await entriesOf(join(root, 'done'))) {
    if (!verdict.s.isDirectory()) continue;
    for (const e of await entriesOf(verdict.path)) {
      if (e.s.isDirectory() && e.name === 'annotated') {
        for (const a of await entriesOf(e.path)) {
          if (deletable(a.name, a.s)) out.push({ paths: [a.path], bytes: a.s.size, ctimeMs: a.s.ctimeMs });
        }
      } else if (deletable(e.name, e.s)) {
        out.push({ paths: [e.path], bytes: e.s.size, ctimeMs: e.s.ctimeMs });
      }
    }
  }
  return out;
}

/** quarantine/*, each file with its .reason.json. */
async function quarantineEntries(root: string): Promise<Entry[]> {
  const all = (await entriesOf(join(root, 'quarantine'))).filter((e) => deletable(e.name, e.s));
  const byName = new Map(all.map((e) => [e.name, e]));
  const out: Entry[] = [];
  for (const e of all) {
    if (e.name.endsWith(REASON_SUFFIX) && byName.has(e.name.slice(0, -REASON_SUFFIX.length))) continue;
    const reason = byName.get(`${e.name}${REASON_SUFFIX}`);
    out.push({
      paths: reason ? [e.path, reason.path] : [e.path],
      bytes: e.s.size + (reason?.s.size ?? 0),
      ctimeMs: e.s.ctimeMs,
    });
  }
  return out;
}

/** The entries to delete under one quota, oldest first. */
export function overQuota(entries: readonly Entry[], quota: FolderQuota, nowMs: number): Entry[] {
  const sorted = [...entries].sort(
    (a, b) => a.ctimeMs - b.ctimeMs || (a.paths[0] ?? '').localeCompare(b.paths[0] ?? ''),
  );
  let total = sorted.reduce((sum, e) => sum + e.bytes, 0);
  const out: Entry[] = [];
  for (const e of sorted) {
    const ageMs = Math.max(0, nowMs - e.ctimeMs);
    const tooOld = quota.maxAgeDays > 0 && ageMs > quota.maxAgeDays * DAY_MS;
    const tooBig = quota.maxBytes > 0 && total > quota.maxBytes;
    if (!tooOld && !tooBig) break; // oldest first: every later entry is younger, and the total only shrinks
    out.push(e);
    total -= e.bytes;
  }
  return out;
}

export function createArchiveRetention(options: ArchiveRetentionOptions): ArchiveRetention {
  const log = options.log ?? silentLogger();
  const now = options.now ?? Date.now;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<RetentionPass> | undefined;

  const pass = async (): Promise<RetentionPass> => {
    const nowMs = now();
    const doomed = [
      ...overQuota(await doneEntries(options.root), options.done, nowMs).map((e) => ({ e, folder: 'done' })),
      ...overQuota(await quarantineEntries(options.root), options.quarantine, nowMs).map((e) => ({
        e,
        folder: 'quarantine',
      })),
    ].sort((a, b) => a.e.ctimeMs - b.e.ctimeMs);
    let deleted = 0;
    let freedBytes = 0;
    for (const { e } of doomed.slice(0, options.maxDeletesPerPass)) {
      for (const path of e.paths) {
        await unlink(path).catch((err: unknown) => {
          if (!hasCode(err, 'ENOENT')) log.warn({ err, path }, 'retention: not deleted');
        });
      }
      deleted += 1;
      freedBytes += e.bytes;
    }
    const more = doomed.length > options.maxDeletesPerPass;
    if (deleted > 0) log.info({ deleted, freedBytes, more }, 'retention: oldest archived files deleted');
    return { deleted, freedBytes, more };
  };

  const runOnce = () => {
    running ??= pass().finally(() => {
      running = undefined;
    });
    return running;
  };

  return {
    runOnce,
    start() {
      if (timer) return;
      const tick = () =>
        void runOnce().catch((err: unknown) => log.warn({ err }, 'retention pass failed; next pass later'));
      tick();
      timer = setInterval(tick, options.intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running?.catch(() => undefined);
    },
  };
}
