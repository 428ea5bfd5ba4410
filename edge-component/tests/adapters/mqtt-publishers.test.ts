import { afterEach, describe, expect, it } from 'vitest';
import { type MqttSubscription, type ReceivedMessage, subscribeMqtt } from '../../src/adapters/mqtt-subscriber.ts';
import { parseBrokerUrl } from '../../src/adapters/mqtt-url.ts';
import { createMqtt5Publisher } from '../../src/adapters/mqtt5-publisher.ts';
import { createMqtt311Publisher } from '../../src/adapters/mqtt311-publisher.ts';
import { PublishError } from '../../src/errors.ts';
import type { Publisher } from '../../src/ports.ts';
import { freePort, startMosquitto } from '../support/mosquitto.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (m: ReceivedMessage) => new TextDecoder().decode(m.payload);

async function next(sub: MqttSubscription, count: number): Promise<ReceivedMessage[]> {
  const out: ReceivedMessage[] = [];
  for await (const m of sub.messages) {
    out.push(m);
    if (out.length === count) break;
  }
  return out;
}

async function subscribe(url: string, topicFilter: string) {
  const sub = await subscribeMqtt({ url, topicFilter });
  cleanups.push(() => sub.close());
  return sub;
}

describe('broker URL', () => {
  it('parses mqtt:// and mqtts:// with default ports and names a bad URL', () => {
    expect(parseBrokerUrl('mqtt://localhost')).toEqual({ host: 'localhost', port: 1883, tls: false });
    expect(parseBrokerUrl('mqtts://h:9000')).toEqual({ host: 'h', port: 9000, tls: true });
    expect(() => parseBrokerUrl('http://h')).toThrow(/scheme http:.*expected mqtt: or mqtts:/);
    expect(() => parseBrokerUrl('nonsense')).toThrow(PublishError);
  });
});

const variants: {
  name: string;
  broker: () => Promise<{ url: string; stop(): Promise<void> }>;
  publisher: (url: string, clientId: string, will: Parameters<typeof createMqtt5Publisher>[0]['will']) => Publisher;
}[] = [
  {
    name: 'MQTT 5 to a real Mosquitto',
    broker: async () => startMosquitto(),
    publisher: (url, clientId, will) => createMqtt5Publisher({ endpoint: { type: 'url', url }, clientId, will }),
  },
  {
    name: 'MQTT 3.1.1 to a real Mosquitto',
    broker: async () => startMosquitto(),
    publisher: (url, clientId, will) => createMqtt311Publisher({ url, clientId, will }),
  },
];

describe.each(variants)('$name', ({ broker, publisher }) => {
  it('delivers QoS 1 messages in order, and close(final) leaves the retained offline status', async () => {
    const b = await broker();
    cleanups.push(() => b.stop());
    const sub = await subscribe(b.url, 'edgeqc/dev1/#');
    const offline = { topic: 'edgeqc/dev1/status', payload: bytes('offline'), qos: 1 as const, retain: true };
    const pub = publisher(b.url, 'dev1', offline);
    await pub.connect();
    expect(pub.isConnected()).toBe(true);
    for (let i = 0; i < 20; i += 1) {
      await pub.publish({ topic: 'edgeqc/dev1/inspections', payload: bytes(`m${i}`), qos: 1 });
    }
    await pub.publish({ topic: 'edgeqc/dev1/status', payload: bytes('online'), qos: 1, retain: true });
    const got = await next(sub, 21);
    expect(got.slice(0, 20).map(text)).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
    expect(text(got[20] as ReceivedMessage)).toBe('online');

    await pub.close({ ...offline, payload: bytes('offline (closed)') });
    expect(pub.isConnected()).toBe(false);
    await expect(pub.publish({ topic: 'edgeqc/dev1/x', payload: bytes('late'), qos: 1 })).rejects.toMatchObject({
      code: 'CLOSED',
    });
    // A new subscriber gets the retained status that close() published (not the Will: a normal disconnect).
    const late = await subscribe(b.url, 'edgeqc/dev1/status');
    const [retained] = await next(late, 1);
    expect(retained?.retain).toBe(true);
    expect(text(retained as ReceivedMessage)).toBe('offline (closed)');
  });
});

describe('when the broker goes away', () => {
  it('MQTT 5 rejects publishes while Mosquitto is down and delivers again once it is back', async () => {
    const b = await startMosquitto();
    cleanups.push(() => b.stop());
    const pub = createMqtt5Publisher({ endpoint: { type: 'url', url: b.url }, clientId: 'dev2' });
    cleanups.push(() => pub.close());
    await pub.connect();
    await b.kill();
    await expect.poll(() => pub.isConnected(), { timeout: 20_000 }).toBe(false);
    await expect(
      pub.publish({ topic: 'edgeqc/dev2/inspections', payload: bytes('lost?'), qos: 1 }),
    ).rejects.toBeInstanceOf(PublishError);
    await b.restart();
    await expect.poll(() => pub.isConnected(), { timeout: 60_000, interval: 200 }).toBe(true);
    const sub = await subscribe(b.url, 'edgeqc/dev2/#');
    await pub.publish({ topic: 'edgeqc/dev2/inspections', payload: bytes('after restart'), qos: 1 });
    const [m] = await next(sub, 1);
    expect(text(m as ReceivedMessage)).toBe('after restart');
  }, 90_000);

  it('the broker sends the Will (retained offline) when the device vanishes without closing', async () => {
    const b = await startMosquitto();
    cleanups.push(() => b.stop());
    const will = { topic: 'edgeqc/dev3/status', payload: bytes('offline (will)'), qos: 1 as const, retain: true };
    const pub = createMqtt311Publisher({ url: b.url, clientId: 'dev3', will, keepAliveSeconds: 1 });
    await pub.connect();
    const sub = await subscribe(b.url, 'edgeqc/dev3/status');
    // A second client with the same id makes the broker drop the first connection: an abnormal
    // disconnect, so the broker publishes the first one's Will.
    const twin = createMqtt311Publisher({ url: b.url, clientId: 'dev3' });
    cleanups.push(() => twin.close());
    cleanups.push(() => pub.close());
    await twin.connect();
    const [m] = await next(sub, 1);
    expect(text(m as ReceivedMessage)).toBe('offline (will)');
  });
});

describe('MQTT 3.1.1 publisher started before its broker', () => {
  it('rejects the first connect, keeps trying, and publishes once the broker is up', async () => {
    const port = await freePort();
    const url = `mqtt://127.0.0.1:${port}`;
    const pub = createMqtt311Publisher({ url, clientId: 'early-bird' });
    cleanups.push(() => pub.close());
    await expect(pub.connect()).rejects.toMatchObject({ code: 'CONNECT_FAILED' });
    const b = await startMosquitto({ port });
    cleanups.push(() => b.stop());
    await expect.poll(() => pub.isConnected(), { timeout: 60_000, interval: 200 }).toBe(true);
    const sub = await subscribe(b.url, 'edgeqc/early/#');
    await pub.publish({ topic: 'edgeqc/early/inspections', payload: bytes('late but there'), qos: 1 });
    const [m] = await next(sub, 1);
    expect(text(m as ReceivedMessage)).toBe('late but there');
  }, 90_000);
});
