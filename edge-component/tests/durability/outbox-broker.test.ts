import { afterEach, describe, expect, it } from 'vitest';
import { createDiskOutbox } from '../../src/adapters/disk-outbox.ts';
import { type MqttSubscription, subscribeMqtt } from '../../src/adapters/mqtt-subscriber.ts';
import { createMqtt5Publisher } from '../../src/adapters/mqtt5-publisher.ts';
import { createMqtt311Publisher } from '../../src/adapters/mqtt311-publisher.ts';
import type { Publisher } from '../../src/ports.ts';
import { freePort, startMosquitto } from '../support/mosquitto.ts';
import { bytes, tempDir, text, until } from './helpers.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Broker {
  stop(): Promise<void>;
  start(): Promise<void>;
}

const variants: {
  name: string;
  broker(port: number): Promise<Broker>;
  publisher(url: string): Publisher;
}[] = [
  {
    name: 'Mosquitto, MQTT 3.1.1 publisher',
    async broker(port) {
      const m = await startMosquitto({ port });
      cleanups.push(() => m.stop());
      return { stop: () => m.kill(), start: () => m.restart() };
    },
    publisher: (url) => createMqtt311Publisher({ url, clientId: 'outbox-dev', operationTimeoutMs: 5000 }),
  },
  {
    name: 'Mosquitto, MQTT 5 publisher',
    async broker(port) {
      const m = await startMosquitto({ port });
      cleanups.push(() => m.stop());
      return { stop: () => m.kill(), start: () => m.restart() };
    },
    publisher: (url) =>
      createMqtt5Publisher({ endpoint: { type: 'url', url }, clientId: 'outbox-dev', ackTimeoutSeconds: 5 }),
  },
];

/** Keeps every message of a subscription (across several subscriptions, one after the other). */
function collector(url: string) {
  const received: string[] = [];
  let current: { sub: MqttSubscription; reading: Promise<void> } | undefined;
  return {
    received,
    async subscribe() {
      const sub = await subscribeMqtt({ url, topicFilter: 'edgeqc/outbox-dev/#' });
      const reading = (async () => {
        for await (const m of sub.messages) received.push(text(m.payload));
      })();
      current = { sub, reading };
    },
    async unsubscribe() {
      await current?.sub.close().catch(() => undefined);
      await current?.reading;
      current = undefined;
    },
  };
}

describe.each(variants)('disk outbox with a real broker: $name', (variant) => {
  it('delivers everything in order while the broker is stopped and restarted twice during appends', async () => {
    const port = await freePort();
    const url = `mqtt://127.0.0.1:${port}`;
    const broker = await variant.broker(port);
    cleanups.push(() => broker.stop());
    const got = collector(url);
    await got.subscribe();
    cleanups.push(() => got.unsubscribe());

    const real = variant.publisher(url);
    cleanups.push(() => real.close());
    await real.connect();
    // A gate in front of the real publisher, closed only while a subscriber is being (re)attached, so
    // that no message reaches a broker that has no subscriber yet (the brokers keep nothing).
    const gate = { open: true, acked: 0, inFlight: 0 };
    const publisher: Publisher = {
      connect: () => real.connect(),
      close: (m) => real.close(m),
      isConnected: () => gate.open && real.isConnected(),
      async publish(request) {
        if (!gate.open) throw new Error('gate closed');
        gate.inFlight += 1;
        try {
          await real.publish(request);
          gate.acked += 1;
        } finally {
          gate.inFlight -= 1;
        }
      },
    };

    const dir = await tempDir(cleanups);
    const outbox = await createDiskOutbox({ dir, capacity: 10_000, policy: 'pause-intake', retry: { maxMs: 1000 } });
    cleanups.push(() => outbox.close());
    outbox.start(publisher);

    const total = 400;
    let appended = 0;
    const appending = (async () => {
      for (; appended < total; appended += 1) {
        await outbox.append({ topic: 'edgeqc/outbox-dev/inspections', payload: bytes(`m${appended}`) });
        await new Promise((r) => setTimeout(r, 5));
      }
    })();

    let failedWhileDown = 0;
    for (const stopAt of [60, 160]) {
      await until(() => gate.acked >= stopAt, `${stopAt} deliveries`, 30_000);
      gate.open = false;
      await until(
        () => gate.inFlight === 0 && got.received.length >= gate.acked,
        'the subscriber to receive what the broker acknowledged',
      );
      await got.unsubscribe();
      await broker.stop();
      const appendedAtStop = appended;
      gate.open = true; // the outbox now fails against the stopped broker and keeps retrying
      await until(() => appended >= Math.min(total, appendedAtStop + 40), 'appends while the broker is down', 30_000);
      failedWhileDown += outbox.stats().pending;
      gate.open = false;
      await broker.start();
      await got.subscribe();
      gate.open = true;
    }
    await appending;
    expect(await outbox.flush(60_000)).toBe(true);
    await until(() => new Set(got.received).size >= total, 'every message at the subscriber', 10_000).catch((err) => {
      const missing = Array.from({ length: total }, (_, i) => `m${i}`).filter((m) => !got.received.includes(m));
      throw new Error(`${String(err)}; missing ${missing.join(' ')}`);
    });

    expect(failedWhileDown).toBeGreaterThanOrEqual(80); // entries really waited in the outbox
    // QoS 1 may repeat a message whose PUBACK was lost; first arrivals must be complete and in order.
    const firsts = got.received.filter((m, i) => got.received.indexOf(m) === i);
    expect(firsts).toEqual(Array.from({ length: total }, (_, i) => `m${i}`));
    expect(outbox.stats()).toEqual({ pending: 0, capacity: 10_000, dropped: 0 });
  }, 90_000);
});
