import { appendFile, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDiskOutbox } from '../../src/adapters/disk-outbox.ts';
import { encodeRecord } from '../../src/adapters/outbox/record-codec.ts';
import type { Outbox } from '../../src/ports.ts';
import { bytes, capturingLogger, recordingPublisher, tempDir, text, until } from './helpers.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function open(dir: string, options: Partial<Parameters<typeof createDiskOutbox>[0]> = {}): Promise<Outbox> {
  const outbox = await createDiskOutbox({ dir, capacity: 1000, policy: 'pause-intake', ...options });
  cleanups.push(() => outbox.close());
  return outbox;
}

const segmentFiles = async (dir: string) => (await readdir(dir)).filter((n) => n.startsWith('seg-'));

describe('disk outbox', () => {
  it('delivers in append order, removes delivered entries, and continues the sequence after a reopen', async () => {
    const dir = await tempDir(cleanups);
    const first = await open(dir, { segmentMaxBytes: 200 });
    const appended = [];
    for (let i = 0; i < 30; i += 1) {
      appended.push(await first.append({ topic: 't/inspections', payload: bytes(`m${i}`), messageId: `id${i}` }));
    }
    expect(appended.map((e) => e.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(first.stats()).toEqual({ pending: 30, capacity: 1000, dropped: 0 });
    expect((await segmentFiles(dir)).length).toBeGreaterThan(3); // small segments: several files
    const rec = recordingPublisher();
    first.start(rec.publisher);
    expect(await first.flush(10_000)).toBe(true);
    expect(rec.texts()).toEqual(Array.from({ length: 30 }, (_, i) => `m${i}`));
    expect(rec.sent.every((r) => r.qos === 1 && r.topic === 't/inspections')).toBe(true);
    expect(first.stats().pending).toBe(0);
    await first.close();
    expect((await segmentFiles(dir)).length).toBe(1); // only the (empty) active segment is left

    const second = await open(dir);
    expect(second.stats().pending).toBe(0); // nothing delivered twice after a clean close
    expect((await second.append({ topic: 't/errors', payload: bytes('after') })).seq).toBe(31);
  });

  it('keeps undelivered entries across a reopen, with their messageId, in order', async () => {
    const dir = await tempDir(cleanups);
    const first = await open(dir);
    for (let i = 0; i < 5; i += 1) await first.append({ topic: 't/i', payload: bytes(`m${i}`), messageId: `id${i}` });
    await first.close();
    await expect(first.append({ topic: 't/i', payload: bytes('late') })).rejects.toMatchObject({
      code: 'OUTBOX_CLOSED',
    });

    const second = await open(dir);
    expect(second.stats().pending).toBe(5);
    const rec = recordingPublisher();
    second.start(rec.publisher);
    expect(await second.flush(10_000)).toBe(true);
    expect(rec.texts()).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
  });

  it('retries a failed publish with backoff, never reordering and never spinning, and wakes on append', async () => {
    const dir = await tempDir(cleanups);
    const outbox = await open(dir, { retry: { minMs: 50, maxMs: 400 } });
    const rec = recordingPublisher();
    rec.state.failing = true;
    outbox.start(rec.publisher);
    for (let i = 0; i < 5; i += 1) await outbox.append({ topic: 't/i', payload: bytes(`m${i}`) });
    await new Promise((r) => setTimeout(r, 1500));
    // 1.5 s of failures with 50, 100, 200, 400, 400... ms waits: a handful of attempts, not thousands.
    expect(rec.state.attempts).toBeGreaterThan(2);
    expect(rec.state.attempts).toBeLessThan(15);
    expect(rec.sent).toEqual([]);
    expect(await outbox.flush(50)).toBe(false);
    rec.state.failing = false;
    expect(await outbox.flush(10_000)).toBe(true);
    expect(rec.texts()).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    // Idle loop: an append is delivered without waiting for a retry timer.
    await outbox.append({ topic: 't/i', payload: bytes('m5') });
    await until(() => rec.sent.length === 6, 'the appended entry');
    expect(text(rec.sent[5]!.payload)).toBe('m5');
  });

  it('pause-intake: full at capacity, appends beyond it up to the headroom, then OUTBOX_FULL', async () => {
    const dir = await tempDir(cleanups);
    const outbox = await open(dir, { capacity: 5, policy: 'pause-intake' });
    for (let i = 0; i < 4; i += 1) await outbox.append({ topic: 't/i', payload: bytes(`m${i}`) });
    expect(outbox.isFull()).toBe(false);
    await outbox.append({ topic: 't/i', payload: bytes('m4') });
    expect(outbox.isFull()).toBe(true);
    // Headroom for images already in flight and their error events: max(16, 10 %) entries.
    for (let i = 5; i < 21; i += 1) await outbox.append({ topic: 't/errors', payload: bytes(`m${i}`) });
    await expect(outbox.append({ topic: 't/i', payload: bytes('m21') })).rejects.toMatchObject({
      name: 'OutboxError',
      code: 'OUTBOX_FULL',
    });
    expect(outbox.stats()).toEqual({ pending: 21, capacity: 5, dropped: 0 });
    const rec = recordingPublisher();
    outbox.start(rec.publisher);
    expect(await outbox.flush(10_000)).toBe(true);
    expect(outbox.isFull()).toBe(false);
    expect(rec.sent.length).toBe(21);
  });

  it('drop-oldest: drops and counts the oldest entries beyond capacity and beyond maxBytes; never full', async () => {
    const dir = await tempDir(cleanups);
    const outbox = await open(dir, { capacity: 5, policy: 'drop-oldest' });
    for (let i = 0; i < 8; i += 1) await outbox.append({ topic: 't/i', payload: bytes(`m${i}`) });
    expect(outbox.isFull()).toBe(false);
    expect(outbox.stats()).toEqual({ pending: 5, capacity: 5, dropped: 3 });
    await outbox.close();

    const reopened = await open(dir, { capacity: 5, policy: 'drop-oldest' });
    expect(reopened.stats().pending).toBe(5); // the drops are remembered
    const rec = recordingPublisher();
    reopened.start(rec.publisher);
    expect(await reopened.flush(10_000)).toBe(true);
    expect(rec.texts()).toEqual(['m3', 'm4', 'm5', 'm6', 'm7']);

    const small = await open(await tempDir(cleanups), { capacity: 100, maxBytes: 1000, policy: 'drop-oldest' });
    for (let i = 0; i < 10; i += 1) await small.append({ topic: 't/i', payload: new Uint8Array(300) });
    expect(small.stats().dropped).toBeGreaterThan(5);
    expect(small.stats().pending).toBeLessThanOrEqual(3);
    await expect(small.append({ topic: 't/i', payload: new Uint8Array(2000) })).rejects.toMatchObject({
      code: 'OUTBOX_BAD_ENTRY',
    });
  });

  it('drop-oldest applies at open when the capacity shrank since last time', async () => {
    const dir = await tempDir(cleanups);
    const first = await open(dir, { capacity: 10, policy: 'drop-oldest' });
    for (let i = 0; i < 6; i += 1) await first.append({ topic: 't/i', payload: bytes(`m${i}`) });
    await first.close();
    const smaller = await open(dir, { capacity: 4, policy: 'drop-oldest' });
    expect(smaller.stats()).toEqual({ pending: 4, capacity: 4, dropped: 2 });
    const rec = recordingPublisher();
    smaller.start(rec.publisher);
    expect(await smaller.flush(10_000)).toBe(true);
    expect(rec.texts()).toEqual(['m2', 'm3', 'm4', 'm5']);
  });

  it('sets a torn last record and a damaged record aside with a log line, delivering only intact ones', async () => {
    const dir = await tempDir(cleanups);
    const first = await open(dir);
    for (let i = 0; i < 4; i += 1) await first.append({ topic: 't/i', payload: bytes(`message-${i}`) });
    await first.close();
    const [segment] = await segmentFiles(dir);
    const path = join(dir, segment!);
    // Damage record 2 (a flipped payload byte) and leave a torn record 5 at the end (a crash mid-write).
    const data = await readFile(path);
    const at = data.indexOf('message-1');
    data[at] = data[at]! ^ 0xff;
    await writeFile(path, data);
    const torn = encodeRecord({ seq: 5, topic: 't/i' }, bytes('message-4'));
    await appendFile(path, torn.subarray(0, torn.length - 3));

    const { log, lines } = capturingLogger();
    const second = await open(dir, { log });
    expect(second.stats().pending).toBe(3);
    expect(lines.some((l) => l.level === 40 && String(l.msg).includes('set aside'))).toBe(true);
    expect((await readdir(join(dir, 'corrupt'))).length).toBe(1);
    const rec = recordingPublisher();
    second.start(rec.publisher);
    expect(await second.flush(10_000)).toBe(true);
    expect(rec.texts()).toEqual(['message-0', 'message-2', 'message-3']);
    // The torn record's number was never acknowledged: the sequence goes on after the last intact one.
    expect((await second.append({ topic: 't/i', payload: bytes('next') })).seq).toBe(5);
    await second.close();

    const third = await open(dir, { log });
    expect(third.stats().pending).toBe(1); // the repaired segment is not reported again
    expect((await readdir(join(dir, 'corrupt'))).length).toBe(1);
  });

  it('appends concurrently in one durable batch, keeping the call order', async () => {
    const dir = await tempDir(cleanups);
    const outbox = await open(dir, { capacity: 5000 });
    const started = performance.now();
    const entries = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => outbox.append({ topic: 't/i', payload: bytes(`m${i}`) })),
    );
    const concurrentMs = performance.now() - started;
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    const sequentialStart = performance.now();
    for (let i = 0; i < 1000; i += 1) await outbox.append({ topic: 't/i', payload: new Uint8Array(2048) });
    const sequentialMs = performance.now() - sequentialStart;
    console.log(
      `outbox append cost: 1000 sequential 2 KiB appends ${sequentialMs.toFixed(0)} ms, 1000 concurrent ${concurrentMs.toFixed(0)} ms`,
    );
    expect(outbox.stats().pending).toBe(2000);
  });

  it('close() waits for an in-flight publish; one that never ends is left for next time', async () => {
    const dir = await tempDir(cleanups);
    const outbox = await open(dir, { closeTimeoutMs: 300 });
    const sent: string[] = [];
    let release: (() => void) | undefined;
    outbox.start({
      ...recordingPublisher().publisher,
      publish: (r) =>
        new Promise<void>((resolve) => {
          sent.push(text(r.payload));
          release = resolve;
        }),
    });
    await outbox.append({ topic: 't/i', payload: bytes('slow') });
    await until(() => release !== undefined, 'the publish to start');
    setTimeout(() => release?.(), 50);
    await outbox.close(); // the PUBACK arrives while closing: delivered, removed
    const second = await open(dir, { closeTimeoutMs: 300 });
    expect(second.stats().pending).toBe(0);

    release = undefined;
    second.start({ ...recordingPublisher().publisher, publish: () => new Promise<void>(() => undefined) });
    await second.append({ topic: 't/i', payload: bytes('stuck') });
    await new Promise((r) => setTimeout(r, 50));
    await second.close(); // returns after closeTimeoutMs
    const third = await open(dir);
    expect(third.stats().pending).toBe(1);
    const rec = recordingPublisher();
    third.start(rec.publisher);
    expect(await third.flush(10_000)).toBe(true);
    expect(rec.texts()).toEqual(['stuck']);
    expect(sent).toEqual(['slow']);
  });

  it('drop-oldest drops the entry being sent without delivering it twice or losing the rest', async () => {
    const dir = await tempDir(cleanups);
    const outbox = await open(dir, { capacity: 2, policy: 'drop-oldest', segmentMaxBytes: 64 });
    const sent: string[] = [];
    let release: (() => void) | undefined;
    outbox.start({
      ...recordingPublisher().publisher,
      publish: (r) =>
        new Promise<void>((resolve) => {
          sent.push(text(r.payload));
          release = resolve;
        }),
    });
    await outbox.append({ topic: 't/i', payload: bytes('m0') });
    await until(() => release !== undefined, 'the first publish');
    for (let i = 1; i < 5; i += 1) await outbox.append({ topic: 't/i', payload: bytes(`m${i}`) });
    expect(outbox.stats()).toEqual({ pending: 2, capacity: 2, dropped: 3 });
    const releaseFirst = release!;
    release = undefined;
    releaseFirst(); // m0 acknowledged after it was dropped: nothing else changes
    await until(() => release !== undefined, 'the next publish');
    release!();
    await until(() => sent.length === 3, 'm4');
    release!();
    expect(await outbox.flush(10_000)).toBe(true);
    expect(sent).toEqual(['m0', 'm3', 'm4']);
    expect(outbox.stats()).toEqual({ pending: 0, capacity: 2, dropped: 3 });
    await outbox.close();
    expect((await segmentFiles(dir)).length).toBe(1); // every delivered or dropped segment deleted
  });

  it('rejects bad entries naming what was expected, and an unusable folder', async () => {
    const dir = await tempDir(cleanups);
    const outbox = await open(dir);
    await expect(outbox.append({ topic: '', payload: bytes('x') })).rejects.toMatchObject({ code: 'OUTBOX_BAD_ENTRY' });
    await expect(outbox.append({ topic: 't', payload: 'x' as unknown as Uint8Array })).rejects.toThrow(
      /expected bytes/,
    );
    await writeFile(join(dir, 'a-file'), 'not a folder');
    await expect(
      createDiskOutbox({ dir: join(dir, 'a-file', 'outbox'), capacity: 1, policy: 'drop-oldest' }),
    ).rejects.toMatchObject({ code: 'OUTBOX_OPEN_FAILED' });
  });
});
