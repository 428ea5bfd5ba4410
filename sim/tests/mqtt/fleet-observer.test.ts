import type { Status } from '@edgeqc/edge-component/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { type EmbeddedBroker, startEmbeddedBroker } from '../../src/mqtt/embedded-broker.ts';
import { FleetObserver } from '../../src/mqtt/fleet-observer.ts';

const status = (thingName: string, version: string): Status => ({
  schema: 'edgeqc.status.v1',
  thingName,
  state: 'online',
  at: new Date().toISOString(),
  agentVersion: '0.1.0',
  model: { name: 'tag-scratch', version, sha256: 'a'.repeat(64), precision: 'int8' },
  selfTest: { passed: true, modelSha256: 'a'.repeat(64), cases: 2, failures: [] },
  rates: { imagesPerSecond: 0 },
  latencyMs: null,
  queueDepth: 0,
  outbox: { pending: 0, capacity: 1000, dropped: 0 },
  counters: { inspected: 0, ok: 0, defect: 0, unclear: 0, quarantined: 0, duplicates: 0, published: 0 },
  lastError: null,
});

describe('embedded broker and fleet observer (real MQTT 3.1.1 client against Aedes)', () => {
  let broker: EmbeddedBroker | undefined;
  let observer: FleetObserver | undefined;
  afterEach(async () => {
    await observer?.close();
    await broker?.close();
  });

  it('sees a retained status published before it subscribed, then live updates; ignores invalid ones', async () => {
    broker = await startEmbeddedBroker();
    const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
    await broker.iotCore.publish({
      topic: 'edgeqc/dev-1/status',
      payload: enc(status('dev-1', '1.0.0')),
      qos: 1,
      retain: true,
    });
    observer = new FleetObserver();
    await observer.start(broker.url);
    await observer.waitFor(() => observer!.status('dev-1') !== undefined, 5_000, 'the retained status');
    expect(observer.status('dev-1')?.model?.version).toBe('1.0.0');
    await broker.iotCore.publish({ topic: 'edgeqc/dev-1/status', payload: enc({ bogus: 1 }), qos: 1, retain: false });
    await broker.iotCore.publish({
      topic: 'edgeqc/dev-1/status',
      payload: enc(status('dev-1', '2.0.0')),
      qos: 1,
      retain: true,
    });
    await observer.waitFor(() => observer!.status('dev-1')?.model?.version === '2.0.0', 5_000, 'the live status');
    expect(observer.invalid).toHaveLength(1);
  });
});
