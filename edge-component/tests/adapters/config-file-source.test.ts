import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFileConfigSource, mergeConfig } from '../../src/adapters/config-file-source.ts';
import type { ConfigVerdict } from '../../src/ports.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgeqc-config-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('file config source', () => {
  it('merges flag overrides over the file, object by object', async () => {
    const path = join(dir, 'agent.json');
    await writeFile(path, JSON.stringify({ thingName: 'a', mqtt: { url: 'mqtt://x:1', qos: 1 }, labels: [1, 2] }));
    const source = createFileConfigSource({ path, overrides: { mqtt: { url: 'mqtt://y:2' }, labels: [3] } });
    expect(await source.load()).toEqual({ thingName: 'a', mqtt: { url: 'mqtt://y:2', qos: 1 }, labels: [3] });
    expect(mergeConfig({ a: 1 }, undefined)).toEqual({ a: 1 });
  });

  it('works from flags alone', async () => {
    expect(await createFileConfigSource({ overrides: { thingName: 'b' } }).load()).toEqual({ thingName: 'b' });
  });

  it('names the file for missing files and bad JSON', async () => {
    const missing = join(dir, 'nope.json');
    await expect(createFileConfigSource({ path: missing }).load()).rejects.toMatchObject({
      code: 'CONFIG_FILE_UNREADABLE',
      message: expect.stringContaining(missing),
    });
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{"thingName": ');
    await expect(createFileConfigSource({ path: bad }).load()).rejects.toMatchObject({
      name: 'ConfigSourceError',
      code: 'CONFIG_FILE_INVALID_JSON',
      message: expect.stringContaining(bad),
    });
  });

  it('applies a valid edit of the file and reports an invalid one without applying it', async () => {
    const path = join(dir, 'agent.json');
    await writeFile(path, JSON.stringify({ threshold: 0.5 }));
    const rejected: string[] = [];
    const changes: unknown[] = [];
    const source = createFileConfigSource({ path, onRejected: (r) => rejected.push(r) });
    const validate = (raw: unknown): ConfigVerdict =>
      (raw as { threshold: number }).threshold <= 1 ? { accepted: true } : { accepted: false, reason: 'threshold > 1' };
    const stop = await source.watch({ validate, onChange: (raw) => changes.push(raw) });
    await writeFile(path, JSON.stringify({ threshold: 7 }));
    await expect.poll(() => rejected, { timeout: 10_000 }).toEqual(['threshold > 1']);
    await writeFile(path, JSON.stringify({ threshold: 0.7 }));
    await expect.poll(() => changes, { timeout: 10_000 }).toEqual([{ threshold: 0.7 }]);
    await stop();
  });

  /** A source over agent.json (threshold 0.5) that has been loaded once; `edit` runs before watching. */
  async function watchAfterLoad(edit: (path: string) => Promise<void> = async () => undefined) {
    const path = join(dir, 'agent.json');
    await writeFile(path, JSON.stringify({ threshold: 0.5 }));
    const changes: unknown[] = [];
    const rejected: string[] = [];
    const source = createFileConfigSource({ path, onRejected: (r) => rejected.push(r) });
    expect(await source.load()).toEqual({ threshold: 0.5 });
    await edit(path);
    const stop = await source.watch({ validate: () => ({ accepted: true }), onChange: (raw) => changes.push(raw) });
    return { changes, rejected, stop };
  }

  it('does not lose an edit made between the load and the watch being ready', async () => {
    const { changes, stop } = await watchAfterLoad((path) => writeFile(path, JSON.stringify({ threshold: 0.6 })));
    await expect.poll(() => changes, { timeout: 10_000 }).toEqual([{ threshold: 0.6 }]);
    await stop();
  });

  it('waits for a half-written file to settle instead of reporting it as a rejected edit', async () => {
    let finished: Promise<void> = Promise.resolve();
    const { changes, rejected, stop } = await watchAfterLoad(async (path) => {
      await writeFile(path, '{"threshold": ');
      finished = new Promise((r) => setTimeout(r, 20)).then(() => writeFile(path, '{"threshold": 0.6}'));
    });
    await finished;
    await expect.poll(() => changes, { timeout: 10_000 }).toEqual([{ threshold: 0.6 }]);
    await new Promise((r) => setTimeout(r, 500));
    expect(rejected).toEqual([]);
    await stop();
  });

  it('reports nothing at watch start when the file is as loaded', async () => {
    const { changes, stop } = await watchAfterLoad();
    await new Promise((r) => setTimeout(r, 500));
    expect(changes).toEqual([]);
    await stop();
  });
});
