import { mkdir, mkdtemp, open, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCameraFolderSource } from '../../src/adapters/camera-folder-source.ts';
import { isIgnoredCameraName } from '../../src/adapters/camera-names.ts';
import type { CameraFile } from '../../src/ports.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgeqc-camera-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Pulls `count` files, calling `each` after every one, then stops the source. */
async function take(
  source: ReturnType<typeof createCameraFolderSource>,
  count: number,
  each?: (f: CameraFile, i: number) => Promise<void> | void,
): Promise<CameraFile[]> {
  const ac = new AbortController();
  const out: CameraFile[] = [];
  for await (const f of source.files(ac.signal)) {
    out.push(f);
    await each?.(f, out.length - 1);
    if (out.length >= count) ac.abort();
  }
  return out;
}

describe('camera names', () => {
  it('ignores hidden and temporary names and keeps ordinary images', () => {
    for (const n of [
      '.hidden.jpg',
      'a.jpg.tmp',
      'b.part',
      'c.jpg~',
      '~$d.jpg',
      '#e.jpg#',
      'f.crdownload',
      'g.JPG.TMP',
    ]) {
      expect(isIgnoredCameraName(n), n).toBe(true);
    }
    for (const n of ['a.jpg', 'Bild ä.png', 'x.jpeg', 'tmp.jpg', 'part1.png'])
      expect(isIgnoredCameraName(n), n).toBe(false);
  });
});

describe('camera folder source', () => {
  it('yields the start-up backlog oldest first, then files that land later', async () => {
    const names = ['c.jpg', 'a.jpg', 'b.jpg'];
    const base = Date.now() / 1000 - 1000;
    for (const [i, n] of names.entries()) {
      await writeFile(join(dir, n), `image ${n}`);
      await utimes(join(dir, n), base + i * 10, base + i * 10);
    }
    const source = createCameraFolderSource({ dir, stabilityMs: 100 });
    const got = await take(source, 4, async (_f, i) => {
      if (i === 2) await writeFile(join(dir, 'new.jpg'), 'later');
    });
    expect(got.map((f) => basename(f.path))).toEqual(['c.jpg', 'a.jpg', 'b.jpg', 'new.jpg']);
    expect(got[3]?.sizeBytes).toBe(5);
  });

  it('never yields hidden or temporary files, and yields a temp file once it is renamed into place', async () => {
    await writeFile(join(dir, '.hidden.jpg'), 'x');
    await writeFile(join(dir, 'shot.jpg.part'), 'partial');
    await writeFile(join(dir, 'first.jpg'), 'first');
    const source = createCameraFolderSource({ dir, stabilityMs: 100 });
    const got = await take(source, 2, async (_f, i) => {
      if (i === 0) {
        await writeFile(join(dir, 'shot2.jpg.tmp'), 'complete image bytes');
        await rename(join(dir, 'shot2.jpg.tmp'), join(dir, 'shot2.jpg'));
      }
    });
    expect(got.map((f) => basename(f.path))).toEqual(['first.jpg', 'shot2.jpg']);
    expect(got[1]?.sizeBytes).toBe('complete image bytes'.length);
  });

  it('skips a directory named like an image and files in sub-folders, and yields a non-ASCII name', async () => {
    await mkdir(join(dir, 'x.jpg'));
    await writeFile(join(dir, 'x.jpg', 'inner.jpg'), 'inner');
    await writeFile(join(dir, 'Prüfbild ä 東京.jpg'), 'bytes');
    const source = createCameraFolderSource({ dir, stabilityMs: 100 });
    const got = await take(source, 2, async (_f, i) => {
      if (i === 0) await writeFile(join(dir, 'last.jpg'), 'last');
    });
    expect(got.map((f) => basename(f.path))).toEqual(['Prüfbild ä 東京.jpg', 'last.jpg']);
  });

  it('waits for a file written in place (also one already in the backlog) to stop growing', async () => {
    const chunk = Buffer.alloc(4096, 7);
    const backlog = await open(join(dir, 'backlog.jpg'), 'w');
    await backlog.write(chunk);
    const source = createCameraFolderSource({ dir, stabilityMs: 1000 });
    const ac = new AbortController();
    const got: CameraFile[] = [];
    const consuming = (async () => {
      for await (const f of source.files(ac.signal)) {
        got.push(f);
        if (got.length === 2) ac.abort();
      }
    })();
    const live = await open(join(dir, 'live.jpg'), 'w');
    for (let i = 0; i < 10; i += 1) {
      await backlog.write(chunk);
      await live.write(chunk);
      await delay(50);
    }
    await backlog.close();
    await live.close();
    await consuming;
    expect(got.map((f) => [basename(f.path), f.sizeBytes]).sort()).toEqual([
      ['backlog.jpg', 11 * 4096],
      ['live.jpg', 10 * 4096],
    ]);
  });

  it('yields a file once while it stays in the folder, and again after markDone and a new file of that name', async () => {
    await writeFile(join(dir, 'a.jpg'), 'one');
    const source = createCameraFolderSource({ dir, stabilityMs: 100 });
    const got = await take(source, 3, async (f, i) => {
      if (i === 0) {
        // Touched but still there: not yielded again. b.jpg proves the source moved on.
        await utimes(f.path, new Date(), new Date());
        await delay(300);
        await writeFile(join(dir, 'b.jpg'), 'two');
      }
      if (i === 1) {
        await rm(join(dir, 'a.jpg'));
        source.markDone(join(dir, 'a.jpg'));
        await writeFile(join(dir, 'a.jpg'), 'three!');
      }
    });
    expect(got.map((f) => [basename(f.path), f.sizeBytes])).toEqual([
      ['a.jpg', 3],
      ['b.jpg', 3],
      ['a.jpg', 6],
    ]);
  });

  it('keeps at most maxPending paths when 10,000 files land at once, and still yields each exactly once', async () => {
    const maxPending = 1000;
    const source = createCameraFolderSource({ dir, stabilityMs: 50, maxPending });
    await mkdir(join(dir, 'done'));
    const total = 10_000;
    const ac = new AbortController();
    const seen = new Map<string, number>();
    let maxSeenPending = 0;
    const consuming = (async () => {
      for await (const f of source.files(ac.signal)) {
        seen.set(f.path, (seen.get(f.path) ?? 0) + 1);
        maxSeenPending = Math.max(maxSeenPending, source.stats().pending);
        await rename(f.path, join(dir, 'done', basename(f.path)));
        source.markDone(f.path);
        if (seen.size === total) ac.abort();
      }
    })();
    await Promise.all(
      Array.from({ length: 10 }, async (_, w) => {
        for (let i = w; i < total; i += 10) await writeFile(join(dir, `img-${String(i).padStart(5, '0')}.jpg`), 'x');
      }),
    );
    await consuming;
    expect(seen.size).toBe(total);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    expect(maxSeenPending).toBeLessThanOrEqual(maxPending);
    expect(source.stats().rescans).toBeGreaterThan(1);
  }, 120_000);
});
