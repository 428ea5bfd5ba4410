import { mkdir, mkdtemp, open, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCameraFolderSource } from '../../src/adapters/camera-folder-source.ts';
import { isIgnoredCameraName } from '../../src/adapters/camera-names.ts';
import { hasImageTrailer, isCompleteImage } from '../../src/adapters/image-complete.ts';
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

  it('keeps watching when the camera folder is removed and made again (no wait for the periodic rescan)', async () => {
    const camera = join(dir, 'camera');
    await mkdir(camera);
    await writeFile(join(camera, 'first.jpg'), 'one');
    const source = createCameraFolderSource({ dir: camera, stabilityMs: 50, rescanIntervalMs: 600_000 });
    const started = Date.now();
    const got = await take(source, 2, async (_f, i) => {
      if (i !== 0) return;
      await rm(camera, { recursive: true });
      await delay(200);
      await mkdir(camera);
      await writeFile(join(camera, 'second.jpg'), 'two');
    });
    expect(got.map((f) => basename(f.path))).toEqual(['first.jpg', 'second.jpg']);
    expect(Date.now() - started).toBeLessThan(10_000);
  }, 20_000);

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

/** A small real JPEG (optionally progressive) and PNG, made by sharp. */
async function images(): Promise<{ jpeg: Buffer; progressive: Buffer; png: Buffer }> {
  const raw = Buffer.alloc(64 * 48 * 3);
  for (let i = 0; i < raw.length; i += 1) raw[i] = (i * 37) % 251;
  const base = () => sharp(raw, { raw: { width: 64, height: 48, channels: 3 } });
  return {
    jpeg: await base().jpeg({ quality: 80 }).toBuffer(),
    progressive: await base().jpeg({ quality: 80, progressive: true }).toBuffer(),
    png: await base().png().toBuffer(),
  };
}

/**
 * The JPEG with an APP1 segment right after SOI holding a small embedded JPEG (as an EXIF thumbnail
 * does), so the bytes up to the end of APP1 end in FFD9 without being the end of the image.
 */
function withThumbnail(jpeg: Buffer, thumbnail: Buffer): { bytes: Buffer; app1End: number } {
  const body = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), thumbnail]);
  const header = Buffer.alloc(4);
  header.writeUInt16BE(0xffe1, 0);
  header.writeUInt16BE(body.length + 2, 2);
  const bytes = Buffer.concat([jpeg.subarray(0, 2), header, body, jpeg.subarray(2)]);
  return { bytes, app1End: 2 + header.length + body.length };
}

describe('provably complete images', () => {
  it('accepts a whole JPEG (baseline and progressive) and PNG, and no proper prefix of them', async () => {
    const { jpeg, progressive, png } = await images();
    const { bytes: thumbed, app1End } = withThumbnail(jpeg, jpeg);
    for (const [name, bytes] of Object.entries({ jpeg, progressive, png, thumbed })) {
      expect(isCompleteImage(bytes), name).toBe(true);
      for (let cut = 0; cut < bytes.length; cut += 1) {
        if (isCompleteImage(bytes.subarray(0, cut))) throw new Error(`${name}: prefix of ${cut} bytes accepted`);
      }
    }
    // The prefix up to the thumbnail's end has the trailer bytes, but is not the image's end.
    expect(hasImageTrailer(thumbed.subarray(0, app1End))).toBe(true);
    expect(isCompleteImage(thumbed.subarray(0, app1End))).toBe(false);
  });

  it('refuses trailing bytes after the end, other formats and garbage', async () => {
    const { jpeg, png } = await images();
    expect(isCompleteImage(Buffer.concat([jpeg, Buffer.from([0, 0])]))).toBe(false);
    expect(isCompleteImage(Buffer.concat([png, Buffer.from([0])]))).toBe(false);
    expect(isCompleteImage(Buffer.from('GIF89a just some text ending in \xff\xd9', 'latin1'))).toBe(false);
    expect(isCompleteImage(Buffer.from([0xff, 0xd8, 0xff, 0xd9]))).toBe(true); // SOI EOI: complete, if empty
    expect(isCompleteImage(Buffer.from([0xff, 0xd8, 0xff, 0x00, 0xff, 0xd9]))).toBe(false);
    expect(isCompleteImage(new Uint8Array(0))).toBe(false);
  });
});

describe('camera folder source: complete images without the stability wait', () => {
  it('admits a complete JPEG or PNG renamed in (and the backlog) without waiting stabilityMs', async () => {
    const { jpeg, png } = await images();
    await writeFile(join(dir, 'backlog.jpg'), jpeg);
    // One minute of stability would time the test out: only the provably-complete rule can admit.
    const source = createCameraFolderSource({ dir, stabilityMs: 60_000, settleMs: 20 });
    const got = await take(source, 3, async (_f, i) => {
      if (i === 0) {
        await writeFile(join(dir, '.a.jpg.tmp'), jpeg);
        await rename(join(dir, '.a.jpg.tmp'), join(dir, 'a.jpg'));
      }
      if (i === 1) {
        await writeFile(join(dir, '.b.png.tmp'), png);
        await rename(join(dir, '.b.png.tmp'), join(dir, 'b.png'));
      }
    });
    expect(got.map((f) => [basename(f.path), f.sizeBytes])).toEqual([
      ['backlog.jpg', jpeg.length],
      ['a.jpg', jpeg.length],
      ['b.png', png.length],
    ]);
  }, 20_000);

  it('never admits an image written in place before its last byte, even paused at a thumbnail FFD9', async () => {
    const { jpeg, png } = await images();
    const { bytes: thumbed, app1End } = withThumbnail(jpeg, jpeg);
    const source = createCameraFolderSource({ dir, stabilityMs: 60_000, settleMs: 10 });
    const ac = new AbortController();
    const got: CameraFile[] = [];
    const consuming = (async () => {
      for await (const f of source.files(ac.signal)) {
        got.push(f);
        if (got.length === 2) ac.abort();
      }
    })();
    // Written in pieces, with pauses far longer than settleMs after each (JPEG: one pause exactly at the
    // thumbnail's FFD9; PNG: one pause just before IEND).
    const writeInPieces = async (name: string, bytes: Buffer, cuts: number[]) => {
      const h = await open(join(dir, name), 'w');
      let at = 0;
      for (const cut of cuts) {
        await h.write(bytes.subarray(at, cut));
        at = cut;
        await delay(150);
        expect(
          got.map((f) => basename(f.path)),
          `${name} admitted after ${cut} bytes`,
        ).not.toContain(name);
      }
      await h.write(bytes.subarray(at));
      await h.close();
    };
    await writeInPieces('inplace.jpg', thumbed, [100, app1End, thumbed.length - 1]);
    await writeInPieces('inplace.png', png, [50, png.length - 12]);
    await consuming;
    expect(got.map((f) => [basename(f.path), f.sizeBytes])).toEqual([
      ['inplace.jpg', thumbed.length],
      ['inplace.png', png.length],
    ]);
  }, 20_000);

  it('still yields a truncated JPEG once it stays unchanged for stabilityMs (the preparer quarantines it)', async () => {
    const { jpeg } = await images();
    await writeFile(join(dir, 'truncated.jpg'), jpeg.subarray(0, jpeg.length - 40));
    const source = createCameraFolderSource({ dir, stabilityMs: 200, settleMs: 10 });
    const got = await take(source, 1);
    expect(got.map((f) => [basename(f.path), f.sizeBytes])).toEqual([['truncated.jpg', jpeg.length - 40]]);
  });
});
