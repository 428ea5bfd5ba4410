import { createHash } from 'node:crypto';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSeenIndex } from '../../src/adapters/seen-index.ts';
import type { SeenIndex, SeenRecord } from '../../src/ports.ts';
import { capturingLogger, tempDir } from './helpers.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const record = (name: string, archived = false): SeenRecord => ({
  sha256: sha(name),
  messageId: sha(`msg-${name}`),
  file: `${name}.jpg`,
  verdict: name.startsWith('d') ? 'defect' : 'ok',
  archived,
});

async function open(file: string, capacity = 100, log = capturingLogger().log): Promise<SeenIndex> {
  const index = await createSeenIndex({ file, capacity, log });
  cleanups.push(() => index.close());
  return index;
}

const lineCount = async (file: string) => (await readFile(file, 'utf8')).split('\n').filter(Boolean).length;

describe('seen index', () => {
  it('remembers records and the archived mark across a reopen', async () => {
    const file = join(await tempDir(cleanups), 'state', 'seen.jsonl');
    const first = await open(file);
    expect(first.get(sha('a'))).toBeUndefined();
    await first.put(record('a'));
    await first.put(record('defect-b'));
    await first.markArchived(sha('a'));
    expect(first.get(sha('a'))).toEqual(record('a', true));
    await first.close();
    await expect(first.put(record('c'))).rejects.toMatchObject({ code: 'SEEN_INDEX_CLOSED' });

    const second = await open(file);
    expect(second.get(sha('a'))).toEqual(record('a', true));
    expect(second.get(sha('defect-b'))).toEqual(record('defect-b', false));
  });

  it('tolerates a torn last line (a crash mid-write): skipped with a warning, the file repaired', async () => {
    const file = join(await tempDir(cleanups), 'seen.jsonl');
    const first = await open(file);
    await first.put(record('a'));
    await first.put(record('b'));
    await first.close();
    await appendFile(file, JSON.stringify(record('c')).slice(0, 40));

    const { log, lines } = capturingLogger();
    const second = await open(file, 100, log);
    expect(second.get(sha('a'))).toEqual(record('a'));
    expect(second.get(sha('b'))).toEqual(record('b'));
    expect(second.get(sha('c'))).toBeUndefined();
    expect(lines.some((l) => l.level === 40 && l.torn === true)).toBe(true);
    await second.put(record('c'));
    await second.close();
    // The new line did not glue onto the torn one.
    const third = await open(file);
    expect(third.get(sha('c'))).toEqual(record('c'));
    expect(await lineCount(file)).toBe(3);
  });

  it('forgets the oldest records beyond capacity and compacts the file past twice the capacity', async () => {
    const file = join(await tempDir(cleanups), 'seen.jsonl');
    const index = await open(file, 10);
    for (let i = 0; i < 25; i += 1) {
      await index.put(record(`img${i}`));
      await index.markArchived(sha(`img${i}`));
    }
    expect(index.get(sha('img14'))).toBeUndefined();
    expect(index.get(sha('img15'))).toEqual(record('img15', true));
    expect(index.get(sha('img24'))).toEqual(record('img24', true));
    // 50 lines were written; compaction keeps the file within about twice the capacity.
    expect(await lineCount(file)).toBeLessThanOrEqual(2 * 10 + 1);
    await index.close();
    const reopened = await open(file, 10);
    expect(reopened.get(sha('img15'))).toEqual(record('img15', true));
    expect(reopened.get(sha('img14'))).toBeUndefined();
  });

  it('rejects a malformed record and skips an unreadable line in the middle', async () => {
    const file = join(await tempDir(cleanups), 'seen.jsonl');
    await writeFile(file, `${JSON.stringify(record('a'))}\n{"not":"a record"}\n${JSON.stringify(record('b'))}\n`);
    const index = await open(file);
    expect(index.get(sha('a'))).toEqual(record('a'));
    expect(index.get(sha('b'))).toEqual(record('b'));
    expect(await lineCount(file)).toBe(2);
    await expect(index.put({ ...record('c'), sha256: 'nope' })).rejects.toMatchObject({
      name: 'SeenIndexError',
      code: 'SEEN_INDEX_WRITE_FAILED',
    });
    expect(index.get('nope')).toBeUndefined();
  });
});
