import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.ts';
import type { UploadItem } from '../../src/upload/upload-item.ts';
import { FAILED_KEEP, openUploadQueue } from '../../src/upload/upload-queue.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'edgeqc-upload-queue-'));
  dirs.push(d);
  return d;
}

const id = (n: number) => createHash('sha256').update(`q-${n}`).digest('hex');
function item(n: number, imageBytes = 1000): UploadItem {
  return {
    meta: {
      messageId: id(n),
      thingName: 'line-1',
      verdict: 'unclear',
      modelVersion: '1.0.0',
      imageKey: `inspections/line-1/2026/12/07/unclear/${id(n)}.jpg`,
      messageKey: `inspections/line-1/2026/12/07/unclear/${id(n)}.json`,
      imageContentType: 'image/jpeg',
    },
    image: new Uint8Array(imageBytes).fill(n % 256),
    message: new TextEncoder().encode(JSON.stringify({ messageId: id(n) })),
  };
}
const open = (dir: string, o: { maxItems?: number; maxBytes?: number } = {}) =>
  openUploadQueue({ dir, maxItems: o.maxItems ?? 100, maxBytes: o.maxBytes ?? 10_000_000, log: silentLogger() });

describe('the durable upload queue', () => {
  it('keeps items across a restart, oldest first, with their bytes intact', async () => {
    const dir = await tempDir();
    const q1 = await open(dir);
    for (let n = 1; n <= 3; n++) expect(await q1.add(item(n), 1000 + n)).toBe('queued');
    const q2 = await open(dir); // a new process: only what is on disk
    expect(q2.stats().pending).toBe(3);
    const head = q2.head();
    expect(head?.messageId).toBe(id(1));
    const back = await q2.read(head!);
    expect(back).toEqual(item(1));
    expect(q2.queuedTimes().sort()).toEqual([1001, 1002, 1003]);
  });

  it('refuses a new item beyond maxItems or maxBytes and never drops the queued ones', async () => {
    const dir = await tempDir();
    const byCount = await open(dir, { maxItems: 2 });
    expect(await byCount.add(item(1), 1)).toBe('queued');
    expect(await byCount.add(item(2), 2)).toBe('queued');
    expect(await byCount.add(item(3), 3)).toBe('full');
    expect(byCount.stats().pending).toBe(2);
    const bytesDir = await tempDir();
    const byBytes = await open(bytesDir, { maxBytes: 3500 });
    expect(await byBytes.add(item(1), 1)).toBe('queued');
    expect(await byBytes.add(item(2), 2)).toBe('queued');
    expect(await byBytes.add(item(3), 3)).toBe('full');
    expect(byBytes.stats().bytes).toBeLessThanOrEqual(3500);
  });

  it('knows a messageId while queued and after it was uploaded, also after a restart (no second upload)', async () => {
    const dir = await tempDir();
    const q = await open(dir);
    await q.add(item(1), 1);
    expect(await q.add(item(1), 2)).toBe('known');
    await q.finish(q.head()!);
    expect(q.stats().pending).toBe(0);
    expect(await q.add(item(1), 3)).toBe('known');
    const again = await open(dir);
    expect(again.knows(id(1))).toBe(true);
    expect(await again.add(item(1), 4)).toBe('known');
    expect(again.queuedTimes()).toEqual([1]);
  });

  it('after a crash between the ledger and the delete, the finished item is not sent again', async () => {
    const dir = await tempDir();
    const q = await open(dir);
    await q.add(item(1), 1);
    const head = q.head()!;
    const file = join(dir, 'items', head.name);
    const bytes = await readFile(file);
    await q.finish(head);
    await writeFile(file, bytes); // the delete that did not happen
    const reopened = await open(dir);
    expect(reopened.stats().pending).toBe(0);
    expect(await readdir(join(dir, 'items'))).toEqual([]);
  });

  it('ignores a half-written temporary item and remembers that the image object was stored', async () => {
    const dir = await tempDir();
    const q = await open(dir);
    await q.add(item(1), 1);
    await q.markImageStored(q.head()!);
    await writeFile(join(dir, 'items', `.000000000002-2-${id(2)}.item.tmp`), 'torn');
    const reopened = await open(dir);
    expect(reopened.stats().pending).toBe(1);
    expect(reopened.head()?.imageStored).toBe(true);
    expect((await readdir(join(dir, 'items'))).some((n) => n.endsWith('.tmp'))).toBe(false);
  });

  it('sets a damaged item aside under failed/ with its reason, and keeps at most FAILED_KEEP there', async () => {
    const dir = await tempDir();
    const q = await open(dir);
    await q.add(item(1), 1);
    const head = q.head()!;
    const file = join(dir, 'items', head.name);
    const bytes = await readFile(file);
    bytes.writeUInt8((bytes.at(-1) ?? 0) ^ 0xff, bytes.length - 1);
    await writeFile(file, bytes);
    await expect(q.read(head)).rejects.toMatchObject({ code: 'UPLOAD_ITEM_CORRUPT' });
    await q.setAside(head, { code: 'UPLOAD_ITEM_CORRUPT', message: 'CRC mismatch' });
    expect(q.stats().pending).toBe(0);
    const failed = await readdir(join(dir, 'failed'));
    expect(failed.sort()).toEqual([head.name, `${head.name}.reason.json`]);
    for (let n = 2; n < FAILED_KEEP + 5; n++) {
      await q.add(item(n, 10), n);
      await q.setAside(q.head()!, { code: 'UPLOAD_REFUSED', message: 'test' });
    }
    expect((await readdir(join(dir, 'failed'))).filter((f) => f.endsWith('.item'))).toHaveLength(FAILED_KEEP);
  });
});
