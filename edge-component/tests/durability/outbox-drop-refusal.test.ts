/**
 * MQTT 3.1.1 has no reason codes: a broker that will not take a message (AWS IoT Core: not authorised,
 * too large) closes the connection instead. The disk outbox counts the connection lost while one entry
 * was being sent; after `refuseAfterDrops` in a row (the connection coming back each time) the entry is
 * dead-lettered and delivery goes on. A connection lost once, or on different entries, is a passing
 * failure: the entry is retried and delivered.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDiskOutbox } from '../../src/adapters/disk-outbox.ts';
import { PublishError } from '../../src/errors.ts';
import type { DeadLetterNotice, Publisher } from '../../src/ports.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** A connection that drops on every publish of a payload in `poison` (and `dropOnce` the first time) and comes back 10 ms later. */
function droppingPublisher(poison: string[], dropOnce: string[] = []): Publisher & { taken: string[]; drops: number } {
  let connected = true;
  const once = new Set(dropOnce);
  const p = {
    taken: [] as string[],
    drops: 0,
    connect: async () => undefined,
    isConnected: () => connected,
    close: async () => undefined,
    async publish(request: { payload: Uint8Array }) {
      if (!connected) throw new PublishError('NOT_CONNECTED', 'not connected');
      const body = text(request.payload);
      if (poison.includes(body) || once.delete(body)) {
        connected = false;
        p.drops += 1;
        setTimeout(() => {
          connected = true;
        }, 10);
        throw new PublishError('PUBLISH_FAILED', 'connection lost');
      }
      p.taken.push(body);
    },
  };
  return p;
}

async function openOutbox() {
  const dir = await mkdtemp(join(tmpdir(), 'edgeqc-drop-refusal-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const outbox = await createDiskOutbox({
    dir,
    capacity: 100,
    policy: 'pause-intake',
    retry: { minMs: 5, maxMs: 20, refuseAfterDrops: 3 },
  });
  cleanups.push(() => outbox.close());
  const notices: DeadLetterNotice[] = [];
  outbox.onDeadLetter?.((n) => notices.push(n));
  return { dir, outbox, notices };
}

describe('disk outbox: an MQTT 3.1.1 broker that closes the connection on one message', () => {
  it('dead-letters the entry after 3 lost connections in a row and delivers the ones behind it', async () => {
    const { dir, outbox, notices } = await openOutbox();
    const publisher = droppingPublisher(['"poison"']);
    for (const body of ['"one"', '"poison"', '"two"'])
      await outbox.append({ topic: 'edgeqc/l/inspections', payload: bytes(body) });
    outbox.start(publisher);
    expect(await outbox.flush(10_000)).toBe(true);
    expect(publisher.taken).toEqual(['"one"', '"two"']);
    expect(publisher.drops).toBe(3);
    expect(notices).toMatchObject([{ topic: 'edgeqc/l/inspections', sizeBytes: 8, code: 'PUBLISH_REFUSED' }]);
    expect(notices[0]?.reasonCode).toBeUndefined();
    expect(notices[0]?.reason).toMatch(/closed the connection at each of 3 tries/);
    const line = JSON.parse(await readFile(join(dir, 'dead-letter', 'dead-letter.jsonl'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(Buffer.from(line.payloadBase64 as string, 'base64').toString()).toBe('"poison"');
  });

  it('a connection lost once is a passing failure: the entry is retried and delivered, nothing dead-lettered', async () => {
    const { outbox, notices } = await openOutbox();
    const publisher = droppingPublisher([], ['"flaky"']);
    for (const body of ['"flaky"', '"next"'])
      await outbox.append({ topic: 'edgeqc/l/inspections', payload: bytes(body) });
    outbox.start(publisher);
    expect(await outbox.flush(10_000)).toBe(true);
    expect(publisher.taken).toEqual(['"flaky"', '"next"']);
    expect(notices).toEqual([]);
  });
});
