/**
 * Retention of done/ and quarantine/ on real files: oldest first by size, by age, bounded per pass, a
 * quarantined file with its reason, symbolic links deleted as links, and a clock jump (camera mtimes
 * years in the past or in the future; the wall clock going back) never deleting a fresh file.
 */
import { lstat, mkdir, mkdtemp, readdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createArchiveRetention } from '../../src/adapters/archive-retention.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'edgeqc-retention-'));
  await mkdir(join(root, 'done', 'ok', 'annotated'), { recursive: true });
  await mkdir(join(root, 'done', 'defect'), { recursive: true });
  await mkdir(join(root, 'quarantine'), { recursive: true });
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Files written one after the other, so their ctimes are in this order. */
async function writeInOrder(paths: string[], bytes = 1000): Promise<void> {
  for (const p of paths) {
    await writeFile(p, Buffer.alloc(bytes, 1));
    await new Promise((r) => setTimeout(r, 15));
  }
}

const names = async (dir: string) => (await readdir(dir)).sort();
const noLimit = { maxAgeDays: 0, maxBytes: 0 };

describe('archive retention', () => {
  it('deletes the oldest files beyond the size quota first, at most maxDeletesPerPass per pass', async () => {
    const files = ['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg', 'e.jpg'].map((n) => join(root, 'done', 'ok', n));
    await writeInOrder(files);
    const retention = createArchiveRetention({
      root,
      done: { maxAgeDays: 0, maxBytes: 2500 },
      quarantine: noLimit,
      maxDeletesPerPass: 2,
      intervalMs: 60_000,
    });
    expect(await retention.runOnce()).toEqual({ deleted: 2, freedBytes: 2000, more: true });
    expect(await names(join(root, 'done', 'ok'))).toEqual(['annotated', 'c.jpg', 'd.jpg', 'e.jpg']);
    expect(await retention.runOnce()).toEqual({ deleted: 1, freedBytes: 1000, more: false });
    expect(await names(join(root, 'done', 'ok'))).toEqual(['annotated', 'd.jpg', 'e.jpg']);
    expect((await retention.runOnce()).deleted).toBe(0);
  });

  it('deletes by age, counted from when the file arrived (ctime), never from a camera mtime in the past or future', async () => {
    const past = join(root, 'done', 'ok', 'camera-clock-1970.jpg');
    const future = join(root, 'done', 'defect', 'camera-clock-2099.jpg');
    const annotated = join(root, 'done', 'ok', 'annotated', 'camera-clock-1970.jpg');
    await writeInOrder([past, future, annotated]);
    await utimes(past, new Date('1970-01-02T00:00:00Z'), new Date('1970-01-02T00:00:00Z'));
    await utimes(future, new Date('2099-01-01T00:00:00Z'), new Date('2099-01-01T00:00:00Z'));
    let now = Date.now();
    const retention = createArchiveRetention({
      root,
      done: { maxAgeDays: 1, maxBytes: 0 },
      quarantine: noLimit,
      maxDeletesPerPass: 100,
      intervalMs: 60_000,
      now: () => now,
    });
    // Fresh, whatever the camera's clock said.
    expect((await retention.runOnce()).deleted).toBe(0);
    // The device's clock goes back a year: files look as if from the future: still fresh, kept.
    now = Date.now() - 365 * DAY_MS;
    expect((await retention.runOnce()).deleted).toBe(0);
    // Two days later (the clock right again): all three are older than a day.
    now = Date.now() + 2 * DAY_MS;
    expect(await retention.runOnce()).toMatchObject({ deleted: 3, more: false });
    expect(await names(join(root, 'done', 'ok'))).toEqual(['annotated']);
    expect(await names(join(root, 'done', 'defect'))).toEqual([]);
  });

  it('deletes a quarantined file together with its reason, and a symbolic link as a link (its target kept)', async () => {
    const target = join(root, 'target-outside.jpg');
    await writeFile(target, 'outside');
    await symlink(target, join(root, 'quarantine', 'link.jpg'));
    await writeFile(join(root, 'quarantine', 'link.jpg.reason.json'), '{}');
    await new Promise((r) => setTimeout(r, 15));
    await writeInOrder([join(root, 'quarantine', 'bad.jpg'), join(root, 'quarantine', 'bad.jpg.reason.json')], 400);
    const retention = createArchiveRetention({
      root,
      done: noLimit,
      quarantine: { maxAgeDays: 0, maxBytes: 500 },
      maxDeletesPerPass: 100,
      intervalMs: 60_000,
    });
    const pass = await retention.runOnce();
    expect(pass.deleted).toBe(2); // link + reason (oldest), then bad.jpg + reason: 800 bytes > 500
    expect(await names(join(root, 'quarantine'))).toEqual([]);
    expect((await lstat(target)).isFile()).toBe(true);
  });
});
