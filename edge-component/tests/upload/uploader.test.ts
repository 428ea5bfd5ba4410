import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Verdict } from '@edgeqc/model-component/manifest';
import { afterEach, describe, expect, it } from 'vitest';
import type { Inspection } from '../../src/contracts/inspection.ts';
import { UploadError } from '../../src/errors.ts';
import { silentLogger } from '../../src/log.ts';
import { createFolderObjectStore } from '../../src/upload/folder-object-store.ts';
import type { ObjectStore, StoredObject } from '../../src/upload/object-store.ts';
import { openUploadQueue } from '../../src/upload/upload-queue.ts';
import { createUploader, type Uploader } from '../../src/upload/uploader.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'edgeqc-uploader-'));
  cleanups.push(() => rm(d, { recursive: true, force: true }));
  return d;
}

const id = (n: number) => createHash('sha256').update(`u-${n}`).digest('hex');
function inspection(n: number, verdict: Verdict): Inspection {
  return {
    schema: 'edgeqc.inspection.v1',
    messageId: id(n),
    thingName: 'line-1',
    capturedAt: '2026-12-07T10:00:00.000Z',
    model: { version: '1.2.0' },
    verdict,
  } as unknown as Inspection;
}
const jpeg = (n: number) => ({ bytes: new Uint8Array([0xff, 0xd8, n, 0xff, 0xd9]), format: 'jpeg' });
const folderOf = (verdict: Verdict) => `inspections/line-1/2026/12/07/${verdict}`;

async function uploaderWith(
  store: ObjectStore,
  o: { okSampleRate?: number; caps?: { perMinute: number; perHour: number; perDay: number }; dir?: string } = {},
): Promise<Uploader> {
  const queue = await openUploadQueue({
    dir: o.dir ?? join(await tempDir(), 'upload'),
    maxItems: 100,
    maxBytes: 1_000_000,
    log: silentLogger(),
  });
  const uploader = createUploader({
    queue,
    store,
    prefix: 'inspections',
    okSampleRate: o.okSampleRate ?? 0,
    caps: o.caps ?? { perMinute: 100, perHour: 1000, perDay: 10_000 },
    retry: { minMs: 10, maxMs: 40 },
    timeoutMs: 5000,
    log: silentLogger(),
  });
  cleanups.push(() => uploader.close());
  return uploader;
}

/** A store in memory that fails the first `failures` puts, and refuses the keys in `refuse` for good. */
function flakyStore(failures: number, refuse: readonly string[] = []) {
  const objects = new Map<string, StoredObject>();
  const puts: string[] = [];
  let left = failures;
  const store: ObjectStore = {
    location: 'memory',
    async put(object) {
      puts.push(object.key);
      if (left > 0) {
        left -= 1;
        throw new UploadError('UPLOAD_PUT_FAILED', 'network down');
      }
      if (refuse.some((r) => object.key.includes(r))) throw new UploadError('UPLOAD_REFUSED', 'too large');
      if (objects.has(object.key)) return 'exists';
      objects.set(object.key, object);
      return 'stored';
    },
    close: async () => undefined,
  };
  return { store, objects, puts };
}

describe('the uploader', () => {
  it('uploads every unclear and defect to the local folder store in the review layout, image then message', async () => {
    const root = await tempDir();
    const uploader = await uploaderWith(createFolderObjectStore(join(root, 'review-store')));
    uploader.start();
    expect(await uploader.offer({ inspection: inspection(1, 'unclear'), image: jpeg(1) })).toBe('queued');
    expect(await uploader.offer({ inspection: inspection(2, 'defect'), image: jpeg(2) })).toBe('queued');
    expect(await uploader.offer({ inspection: inspection(3, 'ok'), image: jpeg(3) })).toBe('not-selected');
    expect(
      await uploader.offer({
        inspection: inspection(4, 'unclear'),
        image: { bytes: new Uint8Array(3), format: 'rgb' },
      }),
    ).toBe('unsupported');
    expect(await uploader.drained(10_000)).toBe(true);
    const unclear = join(root, 'review-store', folderOf('unclear'));
    expect((await readdir(unclear)).sort()).toEqual([`${id(1)}.jpg`, `${id(1)}.json`]);
    expect(new Uint8Array(await readFile(join(unclear, `${id(1)}.jpg`)))).toEqual(jpeg(1).bytes);
    expect(JSON.parse(await readFile(join(unclear, `${id(1)}.json`), 'utf8')).messageId).toBe(id(1));
    expect(await readdir(join(root, 'review-store', folderOf('defect')))).toHaveLength(2);
    expect(uploader.stats()).toMatchObject({ pending: 0, uploaded: 2, setAside: 0 });
  });

  it('the folder store never replaces an object: a second put of a key is "exists" and the first bytes stay', async () => {
    const root = await tempDir();
    const store = createFolderObjectStore(root);
    const put = (body: string) =>
      store.put(
        { key: 'inspections/a/b.json', body: new TextEncoder().encode(body), contentType: 'x', metadata: {} },
        new AbortController().signal,
      );
    expect(await put('first')).toBe('stored');
    expect(await put('second')).toBe('exists');
    expect(await readFile(join(root, 'inspections', 'a', 'b.json'), 'utf8')).toBe('first');
    expect((await readdir(join(root, 'inspections', 'a'))).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    await expect(
      store.put(
        { key: '../escape', body: new Uint8Array(1), contentType: 'x', metadata: {} },
        new AbortController().signal,
      ),
    ).rejects.toMatchObject({ code: 'UPLOAD_REFUSED' });
  });

  it('keeps an item through failed puts and retries it with backoff until the store takes it, oldest first', async () => {
    const { store, objects, puts } = flakyStore(5);
    const uploader = await uploaderWith(store);
    for (let n = 1; n <= 3; n++) await uploader.offer({ inspection: inspection(n, 'unclear'), image: jpeg(n) });
    uploader.start();
    expect(await uploader.drained(10_000)).toBe(true);
    expect(objects.size).toBe(6);
    // The first item was tried five times before it went through; nothing after it overtook it.
    expect(puts.slice(0, 6).every((k) => k.includes(id(1)))).toBe(true);
    expect(new Set(puts.slice(6)).size).toBe(puts.length - 6); // every later key once
  });

  it('sets aside an object the store refuses for good and goes on with the next', async () => {
    const { store, objects } = flakyStore(0, [id(1)]);
    const dir = join(await tempDir(), 'upload');
    const uploader = await uploaderWith(store, { dir });
    for (let n = 1; n <= 2; n++) await uploader.offer({ inspection: inspection(n, 'defect'), image: jpeg(n) });
    uploader.start();
    expect(await uploader.drained(10_000)).toBe(true);
    expect([...objects.keys()].every((k) => k.includes(id(2)))).toBe(true);
    expect(uploader.stats()).toMatchObject({ uploaded: 1, setAside: 1 });
    const reasons = (await readdir(join(dir, 'failed'))).filter((f) => f.endsWith('.reason.json'));
    expect(JSON.parse(await readFile(join(dir, 'failed', reasons[0] as string), 'utf8')).code).toBe('UPLOAD_REFUSED');
  });

  it('stops queueing at the caps and says which, and a re-offered inspection is a duplicate', async () => {
    const { store } = flakyStore(0);
    const uploader = await uploaderWith(store, { caps: { perMinute: 2, perHour: 10, perDay: 10 } });
    expect(await uploader.offer({ inspection: inspection(1, 'unclear'), image: jpeg(1) })).toBe('queued');
    expect(await uploader.offer({ inspection: inspection(1, 'unclear'), image: jpeg(1) })).toBe('duplicate');
    expect(await uploader.offer({ inspection: inspection(2, 'unclear'), image: jpeg(2) })).toBe('queued');
    expect(await uploader.offer({ inspection: inspection(3, 'unclear'), image: jpeg(3) })).toBe('capped');
    expect(uploader.stats().offered).toMatchObject({ queued: 2, duplicate: 1, capped: 1 });
  });

  it('an ok sample rate of 1 uploads every ok', async () => {
    const { store, objects } = flakyStore(0);
    const uploader = await uploaderWith(store, { okSampleRate: 1 });
    uploader.start();
    expect(await uploader.offer({ inspection: inspection(1, 'ok'), image: jpeg(1) })).toBe('queued');
    expect(await uploader.drained(10_000)).toBe(true);
    expect([...objects.keys()]).toEqual([`${folderOf('ok')}/${id(1)}.jpg`, `${folderOf('ok')}/${id(1)}.json`]);
    expect(objects.get(`${folderOf('ok')}/${id(1)}.jpg`)?.metadata).toEqual({
      thing: 'line-1',
      verdict: 'ok',
      'model-version': '1.2.0',
    });
  });
});
