/**
 * Permanent refusals against a real Mosquitto (2.0, MQTT 5 through aws-crt): an `acl_file` that denies a
 * topic answers PUBACK 135 Not authorized, a payload over `message_size_limit` is refused too; the
 * publisher says PUBLISH_REFUSED with the reason code, the disk outbox writes the message to its
 * dead-letter file, tells its listeners, and delivers the messages behind it.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDiskOutbox } from '../../src/adapters/disk-outbox.ts';
import { type MqttSubscription, type ReceivedMessage, subscribeMqtt } from '../../src/adapters/mqtt-subscriber.ts';
import { createMqtt5Publisher } from '../../src/adapters/mqtt5-publisher.ts';
import { PublishError } from '../../src/errors.ts';
import type { DeadLetterNotice } from '../../src/ports.ts';
import { startMosquitto } from '../support/mosquitto.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const bytes = (s: string) => new TextEncoder().encode(s);

async function next(sub: MqttSubscription, count: number): Promise<ReceivedMessage[]> {
  const out: ReceivedMessage[] = [];
  for await (const m of sub.messages) {
    out.push(m);
    if (out.length === count) break;
  }
  return out;
}

async function brokerWith(options: Parameters<typeof startMosquitto>[0]) {
  const broker = await startMosquitto(options);
  cleanups.push(() => broker.stop());
  const publisher = createMqtt5Publisher({ endpoint: { type: 'url', url: broker.url }, clientId: 'refusals' });
  cleanups.push(() => publisher.close());
  await publisher.connect();
  return { broker, publisher };
}

async function until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('MQTT 5 publisher against a Mosquitto that refuses', () => {
  it('a topic the acl_file denies: PUBLISH_REFUSED with PUBACK reason 135; an allowed topic still publishes', async () => {
    const { publisher } = await brokerWith({ allowTopics: ['edgeqc/+/inspections', 'edgeqc/+/errors'] });
    const denied = publisher.publish({ topic: 'forbidden/inspections', payload: bytes('{}'), qos: 1 });
    await expect(denied).rejects.toBeInstanceOf(PublishError);
    await expect(denied).rejects.toMatchObject({ code: 'PUBLISH_REFUSED', reasonCode: 135 });
    await expect(denied).rejects.toThrow(/PUBACK reason 135 \(Not authorized\)/);
    await publisher.publish({ topic: 'edgeqc/line-1/inspections', payload: bytes('{}'), qos: 1 });
  });

  it('a payload over message_size_limit: PUBLISH_REFUSED (permanent), a small one still publishes', async () => {
    const { publisher } = await brokerWith({ messageSizeLimit: 1000 });
    const big = publisher.publish({ topic: 'edgeqc/line-1/inspections', payload: new Uint8Array(5000), qos: 1 });
    await expect(big).rejects.toMatchObject({ code: 'PUBLISH_REFUSED' });
    await publisher.publish({ topic: 'edgeqc/line-1/inspections', payload: bytes('{}'), qos: 1 });
  });
});

describe('disk outbox: a refusal for good is dead-lettered and delivery goes on (real Mosquitto)', () => {
  it('denied by the acl_file: dead-letter line and notice name topic, messageId, size and reason; the rest is delivered in order', async () => {
    const { broker, publisher } = await brokerWith({ allowTopics: ['edgeqc/+/inspections', 'edgeqc/+/errors'] });
    const sub = await subscribeMqtt({ url: broker.url, topicFilter: 'edgeqc/#', clientId: 'refusals-watch' });
    cleanups.push(() => sub.close());
    const dir = await mkdtemp(join(tmpdir(), 'edgeqc-dead-letter-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const outbox = await createDiskOutbox({
      dir,
      capacity: 100,
      policy: 'pause-intake',
      retry: { minMs: 20, maxMs: 100 },
    });
    cleanups.push(() => outbox.close());
    const notices: DeadLetterNotice[] = [];
    outbox.onDeadLetter?.((n) => notices.push(n));

    const messageId = 'a'.repeat(64);
    await outbox.append({ topic: 'edgeqc/line-1/inspections', payload: bytes('"first"') });
    await outbox.append({ topic: 'denied/line-1/inspections', payload: bytes('"refused"'), messageId });
    await outbox.append({ topic: 'edgeqc/line-1/inspections', payload: bytes('"after"') });
    await outbox.append({ topic: 'edgeqc/line-1/errors', payload: bytes('"after too"') });
    outbox.start(publisher);

    const received = await next(sub, 3);
    expect(received.map((m) => new TextDecoder().decode(m.payload))).toEqual(['"first"', '"after"', '"after too"']);
    expect(await outbox.flush(30_000)).toBe(true);
    expect(outbox.stats().pending).toBe(0);
    await until(() => notices.length === 1, 'the dead-letter notice');
    expect(notices[0]).toMatchObject({
      topic: 'denied/line-1/inspections',
      messageId,
      sizeBytes: 9,
      code: 'PUBLISH_REFUSED',
      reasonCode: 135,
      file: join(dir, 'dead-letter', 'dead-letter.jsonl'),
    });
    const lines = (await readFile(join(dir, 'dead-letter', 'dead-letter.jsonl'), 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0] as string) as Record<string, unknown>;
    expect(line).toMatchObject({ topic: 'denied/line-1/inspections', messageId, sizeBytes: 9, reasonCode: 135 });
    expect(Buffer.from(line.payloadBase64 as string, 'base64').toString()).toBe('"refused"');
  });

  it('over message_size_limit: dead-lettered, the next message delivered', async () => {
    const { broker, publisher } = await brokerWith({ messageSizeLimit: 2000 });
    const sub = await subscribeMqtt({ url: broker.url, topicFilter: 'edgeqc/#', clientId: 'size-watch' });
    cleanups.push(() => sub.close());
    const dir = await mkdtemp(join(tmpdir(), 'edgeqc-dead-letter-size-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const outbox = await createDiskOutbox({
      dir,
      capacity: 100,
      policy: 'pause-intake',
      retry: { minMs: 20, maxMs: 100 },
    });
    cleanups.push(() => outbox.close());
    const notices: DeadLetterNotice[] = [];
    outbox.onDeadLetter?.((n) => notices.push(n));
    await outbox.append({ topic: 'edgeqc/line-1/inspections', payload: new Uint8Array(10_000).fill(65) });
    await outbox.append({ topic: 'edgeqc/line-1/inspections', payload: bytes('"small"') });
    outbox.start(publisher);
    const [received] = await next(sub, 1);
    expect(new TextDecoder().decode(received?.payload)).toBe('"small"');
    await until(() => notices.length === 1, 'the dead-letter notice');
    expect(notices[0]).toMatchObject({ sizeBytes: 10_000, code: 'PUBLISH_REFUSED' });
  });
});
