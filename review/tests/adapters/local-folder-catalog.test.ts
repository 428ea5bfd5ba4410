/** The folder catalog over the uploader's layout: order, filters, paging, bad files left out, missing images. */
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Inspection } from '@edgeqc/edge-component/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalFolderCatalog } from '../../src/adapters/local-folder-catalog.ts';
import { fixtureKey, writeFixtureStore } from '../helpers/fixture-store.ts';

let root: string;
let messages: Inspection[];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'edgeqc-catalog-'));
  messages = await writeFixtureStore(root, [
    { sample: 'scratch-01.jpg', thingName: 'line-1-cam-1', verdict: 'unclear', capturedAt: '2026-12-01T10:00:00.000Z' },
    { sample: 'scratch-06.png', thingName: 'line-1-cam-1', verdict: 'defect', capturedAt: '2026-12-03T10:00:00.000Z' },
    { sample: 'clean-02.jpg', thingName: 'line-2-cam-1', verdict: 'ok', capturedAt: '2026-12-02T10:00:00.000Z' },
  ]);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('LocalFolderCatalog', () => {
  it('lists newest first in pages and filters like the API', async () => {
    const catalog = new LocalFolderCatalog({ root });
    const first = await catalog.list({}, { limit: 2 });
    expect(first.entries.map((e) => e.inspection.image.file)).toEqual(['scratch-06.png', 'clean-02.jpg']);
    const second = await catalog.list({}, { limit: 2, cursor: first.nextCursor! });
    expect(second.entries.map((e) => e.inspection.image.file)).toEqual(['scratch-01.jpg']);
    expect(second.nextCursor).toBeUndefined();
    const line1 = await catalog.list({ thing: 'line-1', modelVerdict: 'unclear' }, { limit: 10 });
    expect(line1.entries.map((e) => e.inspection.image.file)).toEqual(['scratch-01.jpg']);
  });

  it('serves a PNG with its type and reports a deleted image as missing', async () => {
    const catalog = new LocalFolderCatalog({ root });
    const png = messages[1]!;
    const ref = await catalog.image(png.messageId);
    expect(ref.kind === 'bytes' && ref.contentType).toBe('image/png');
    const jpg = messages[0]!;
    await unlink(join(root, fixtureKey(jpg, 'jpg')));
    expect((await catalog.get(jpg.messageId))?.imagePresent).toBe(false);
    expect(await catalog.image(jpg.messageId)).toEqual({ kind: 'missing' });
  });

  it('leaves out a message that is not JSON, not a valid message, or not where its fields say', async () => {
    const catalog = new LocalFolderCatalog({ root });
    const m = messages[2]!;
    const dir = join(root, fixtureKey(m, 'json'), '..');
    await writeFile(join(dir, `${'d'.repeat(64)}.json`), '{ not json');
    await writeFile(join(dir, `${'e'.repeat(64)}.json`), JSON.stringify({ schema: 'edgeqc.inspection.v1' }));
    await writeFile(
      join(dir, `${'f'.repeat(64)}.json`),
      JSON.stringify({ ...m, messageId: 'f'.repeat(64), verdict: 'defect' }),
    );
    const all = await catalog.list({}, { limit: 100 });
    expect(all.entries).toHaveLength(3);
    expect(await catalog.get('d'.repeat(64))).toBeUndefined();
  });
});
