/**
 * The MQTT subscriber behind `edgeqc watch` and the one-machine world's fleet observer, against a real
 * Mosquitto that goes away and comes back.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { subscribeMqtt } from '../../src/adapters/mqtt-subscriber.ts';
import { createMqtt311Publisher } from '../../src/adapters/mqtt311-publisher.ts';
import { startMosquitto } from '../support/mosquitto.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const bytes = (s: string) => new TextEncoder().encode(s);

describe('MQTT subscriber', () => {
  it('subscribes again after the broker restarts, so messages published afterwards still arrive', async () => {
    const broker = await startMosquitto();
    cleanups.push(() => broker.stop());
    const sub = await subscribeMqtt({ url: broker.url, topicFilter: 'edgeqc/+/inspections' });
    cleanups.push(() => sub.close());
    const received: string[] = [];
    const reading = (async () => {
      for await (const m of sub.messages) received.push(new TextDecoder().decode(m.payload));
    })();
    cleanups.push(async () => {
      await sub.close();
      await reading;
    });
    const pub = createMqtt311Publisher({ url: broker.url, clientId: 'sub-test-dev' });
    cleanups.push(() => pub.close());
    await pub.connect();
    await pub.publish({ topic: 'edgeqc/dev/inspections', payload: bytes('before'), qos: 1 });
    await expect.poll(() => received, { timeout: 30_000 }).toContain('before');

    await broker.kill();
    await broker.restart();
    // The subscriber's clean session is gone with the old broker process; publish until one arrives.
    await expect
      .poll(
        async () => {
          if (pub.isConnected()) {
            await pub
              .publish({ topic: 'edgeqc/dev/inspections', payload: bytes('after'), qos: 1 })
              .catch(() => undefined);
          }
          return received.includes('after');
        },
        { timeout: 60_000, interval: 500 },
      )
      .toBe(true);
  }, 90_000);
});
