import { type MetricsMessage, MetricsSchema, SCORE_BIN_EDGES } from '@edgeqc/edge-component/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalBehaviourSource } from '../../src/adapters/local-behaviour-source.ts';
import { type EmbeddedBroker, startEmbeddedBroker } from '../../src/mqtt/embedded-broker.ts';
import { FleetObserver } from '../../src/mqtt/fleet-observer.ts';

let sequence = 0;
function metrics(thingName: string, version: string, images: number, publishedAt: string): MetricsMessage {
  return MetricsSchema.parse({
    schema: 'edgeqc.metrics.v1',
    messageId: `m-${++sequence}`,
    thingName,
    publishedAt,
    model: { name: 'tag-scratch', version, sha256: 'a'.repeat(64), precision: 'int8' },
    modelSince: '2026-12-07T11:00:00.000Z',
    window: { start: publishedAt, end: publishedAt, seconds: 60, maxImages: 100 },
    images,
    verdicts: { ok: images, defect: 0, unclear: 0 },
    unclearRate: 0,
    defectRate: 0,
    bestScore: { binEdges: [...SCORE_BIN_EDGES], counts: [images, 0, 0, 0, 0, 0, 0, 0, 0, 0] },
    detectionsPerImage: { mean: 0, max: 0 },
    latencyMs: { prepare: { p50: 1, p95: 2 }, inference: { p50: 3, p95: 4 } },
    quarantined: 0,
    errors: 0,
    sinceModel: {
      images,
      verdicts: { ok: images, defect: 0, unclear: 0 },
      bestScoreCounts: [images, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      quarantined: 0,
      errors: 0,
    },
    drift: { baselineImages: 50, psi: null, limit: 0.25, drifted: false },
  });
}

describe('LocalBehaviourSource (fleet observer on the embedded broker, real MQTT 3.1.1 client)', () => {
  let broker: EmbeddedBroker | undefined;
  let observer: FleetObserver | undefined;
  afterEach(async () => {
    await observer?.close();
    await broker?.close();
  });

  it('returns the newest valid metrics per device and version, and counts the messages that fail the schema', async () => {
    broker = await startEmbeddedBroker();
    observer = new FleetObserver();
    await observer.start(broker.url);
    const send = (thing: string, payload: unknown) =>
      broker!.iotCore.publish({
        topic: `edgeqc/${thing}/metrics`,
        payload: new TextEncoder().encode(JSON.stringify(payload)),
        qos: 1,
        retain: false,
      });
    await send('canary-1', metrics('canary-1', '2.0.0', 40, '2026-12-07T12:00:00.000Z'));
    await send('canary-1', metrics('canary-1', '2.1.0', 10, '2026-12-07T12:01:00.000Z'));
    // An older message arriving late does not replace the newer one.
    await send('canary-1', metrics('canary-1', '2.1.0', 5, '2026-12-07T12:00:30.000Z'));
    await send('canary-1', { schema: 'edgeqc.metrics.v1', images: 'many' });
    // A device speaking for another one is not trusted either.
    await send('line-1', metrics('canary-1', '2.1.0', 999, '2026-12-07T12:05:00.000Z'));
    await send('line-1', metrics('line-1', '2.0.0', 70, '2026-12-07T12:00:00.000Z'));
    await send('canary-1', metrics('canary-1', '2.1.0', 25, '2026-12-07T12:02:00.000Z'));
    await observer.waitFor(
      () => observer!.metrics('canary-1', '2.1.0')?.images === 25 && observer!.metrics('line-1', '2.0.0') !== undefined,
      10_000,
      'the newest metrics of canary-1 and line-1',
    );

    const source = new LocalBehaviourSource(observer);
    const canary = await source.latest({ thingNames: ['canary-1'], modelVersions: ['2.1.0', '2.0.0'] });
    expect(canary.messages.map((m) => [m.thingName, m.model.version, m.images])).toEqual([
      ['canary-1', '2.1.0', 25],
      ['canary-1', '2.0.0', 40],
    ]);
    expect(canary.rejected).toBe(1);
    const both = await source.latest({ thingNames: ['canary-1', 'line-1', 'line-9'], modelVersions: ['2.0.0'] });
    expect(both.messages.map((m) => [m.thingName, m.images])).toEqual([
      ['canary-1', 40],
      ['line-1', 70],
    ]);
    expect(both.rejected).toBe(2);
  });
});
