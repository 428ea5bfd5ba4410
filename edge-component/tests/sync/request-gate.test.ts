/**
 * The synchronous path's admission (request-gate.ts) with plain promises for work: the count bound, the
 * byte bound on what waiting requests hold (raw bitmaps are MBs each), and that one large image is never
 * refused for ever.
 */
import { describe, expect, it } from 'vitest';
import { createRequestGate } from '../../src/sync/request-gate.ts';

/** Work that ends when `finish` is called. */
function heldWork() {
  let finish: () => void = () => undefined;
  const done = new Promise<string>((resolve) => {
    finish = () => resolve('done');
  });
  return { work: () => done, finish: () => finish() };
}

const MiB = 1024 * 1024;

describe('request gate', () => {
  it('queues by count and by bytes, refusing with SYNC_QUEUE_FULL past either bound', async () => {
    const gate = createRequestGate({ concurrency: 1, maxQueue: 8, maxQueueBytes: 10 * MiB, timeoutMs: 60_000 });
    const running = heldWork();
    const first = gate.run(running.work, 6 * MiB); // runs at once: a running request is not waiting
    const waiting = heldWork();
    const second = gate.run(waiting.work, 6 * MiB); // waits: 6 MiB of 10
    expect(gate.load()).toEqual({ running: 1, waiting: 1, waitingBytes: 6 * MiB });

    await expect(gate.run(async () => 'never', 6 * MiB)).rejects.toMatchObject({
      code: 'SYNC_QUEUE_FULL',
      message: expect.stringContaining(`1 waiting with ${6 * MiB} bytes of image (at most ${10 * MiB} together)`),
    });
    // A small request still fits beside it.
    const small = gate.run(async () => 'small', 1 * MiB);
    expect(gate.load().waitingBytes).toBe(7 * MiB);

    running.finish();
    waiting.finish();
    await expect(Promise.all([first, second, small])).resolves.toEqual(['done', 'done', 'small']);
    expect(gate.load()).toEqual({ running: 0, waiting: 0, waitingBytes: 0 });
  });

  it('lets one request larger than the byte bound wait when nothing else waits', async () => {
    const gate = createRequestGate({ concurrency: 1, maxQueue: 8, maxQueueBytes: 1 * MiB, timeoutMs: 60_000 });
    const running = heldWork();
    const first = gate.run(running.work);
    const large = gate.run(async () => 'large', 48 * MiB);
    expect(gate.load()).toMatchObject({ waiting: 1, waitingBytes: 48 * MiB });
    await expect(gate.run(async () => 'never', 1)).rejects.toMatchObject({ code: 'SYNC_QUEUE_FULL' });
    running.finish();
    await expect(Promise.all([first, large])).resolves.toEqual(['done', 'large']);
  });

  it('gives back the bytes of a request that times out while waiting', async () => {
    const gate = createRequestGate({ concurrency: 1, maxQueue: 8, maxQueueBytes: 10 * MiB, timeoutMs: 200 });
    const running = heldWork();
    // The running one is answered SYNC_TIMEOUT too (it keeps its slot until its work ends).
    const first = gate.run(running.work).catch((err: unknown) => err);
    await expect(gate.run(async () => 'late', 6 * MiB)).rejects.toMatchObject({ code: 'SYNC_TIMEOUT' });
    await expect(first).resolves.toMatchObject({ code: 'SYNC_TIMEOUT' });
    expect(gate.load()).toEqual({ running: 1, waiting: 0, waitingBytes: 0 });
    running.finish();
    await expect.poll(() => gate.load().running, { timeout: 5000 }).toBe(0);
  });
});
