/**
 * The agent's metrics stage with a recording publisher and a clock the test moves: what it publishes
 * on <prefix>/metrics, and the drift event it sends to /errors when the score distribution shifts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { errorEvent } from '../../src/agent/agent-messages.ts';
import type { ErrorEventInput } from '../../src/agent/commit-stage.ts';
import { createMetricsStage } from '../../src/agent/metrics-stage.ts';
import { type ErrorEvent, ErrorEventSchema } from '../../src/contracts/error-event.ts';
import type { Inspection, ModelRef } from '../../src/contracts/inspection.ts';
import { MetricsSchema } from '../../src/contracts/metrics.ts';
import { silentLogger } from '../../src/log.ts';
import type { Publisher, PublishRequest } from '../../src/ports.ts';
import { modelA } from './fixtures.ts';

const base = JSON.parse(
  readFileSync(new URL('../contracts/fixtures/inspection-defect.json', import.meta.url), 'utf8'),
) as Inspection;

/** An inspection of `model` whose best detection scores `score` (none at 0). */
function inspection(model: ModelRef, score: number): Inspection {
  const [detection] = base.detections;
  const verdict = score >= 0.5 ? 'defect' : score >= 0.25 ? 'unclear' : 'ok';
  return {
    ...base,
    model,
    verdict,
    detections: score > 0 && detection ? [{ ...detection, confidence: score }] : [],
  };
}

function harness(connected = true) {
  let t = Date.UTC(2026, 11, 7, 18, 0, 0);
  const published: PublishRequest[] = [];
  const events: ErrorEvent[] = [];
  const publisher: Publisher = {
    connect: async () => undefined,
    close: async () => undefined,
    isConnected: () => connected,
    publish: async (r) => {
      published.push(r);
    },
  };
  const stage = createMetricsStage({
    log: silentLogger(),
    models: { status: () => ({ model: modelA, selfTest: null, lastRefusal: null }) },
    publisher,
    now: () => new Date(t),
    thingName: 'line-7',
    metricsTopic: 'edgeqc/line-7/metrics',
    metrics: {
      intervalSeconds: 30,
      windowSeconds: 3600,
      windowImages: 40,
      drift: { baselineImages: 40, psiLimit: 0.25 },
    },
    async sendError(input: ErrorEventInput) {
      events.push(errorEvent({ ...input, thingName: 'line-7', at: new Date(t) }));
      return true;
    },
  });
  const feed = (scores: readonly number[], n: number) => {
    for (let i = 0; i < n; i += 1) {
      t += 500;
      stage.inspected(inspection(modelA, scores[i % scores.length] as number));
    }
  };
  const messages = () => published.map((p) => MetricsSchema.parse(JSON.parse(new TextDecoder().decode(p.payload))));
  return { stage, published, events, feed, messages };
}

describe('the metrics stage', () => {
  it('publishes a schema-valid edgeqc.metrics.v1 message on <prefix>/metrics, QoS 1, not retained', async () => {
    const h = harness();
    h.feed([0, 0.3, 0.9], 9);
    await h.stage.publish();
    expect(h.published).toHaveLength(1);
    expect(h.published[0]).toMatchObject({ topic: 'edgeqc/line-7/metrics', qos: 1 });
    expect(h.published[0]?.retain).toBeFalsy();
    expect(h.messages()[0]).toMatchObject({
      thingName: 'line-7',
      images: 9,
      verdicts: { ok: 3, unclear: 3, defect: 3 },
    });
    expect(h.stage.summary()).toMatchObject({ modelVersion: '1.0.0', images: 9, sinceModel: 9, psi: null });
  });

  it('skips a message while the publisher is not connected (the next one carries the cumulative figures)', async () => {
    const h = harness(false);
    h.feed([0], 5);
    await h.stage.publish();
    expect(h.published).toHaveLength(0);
    expect(h.stage.last()?.sinceModel.images).toBe(5);
  });

  it('raises MODEL_DRIFT on /errors with the figures once when the score distribution shifts', async () => {
    const h = harness();
    h.feed([0, 0, 0, 0.15, 0.3, 0.6, 0.95, 0.97], 40); // the baseline
    await h.stage.publish();
    expect(h.messages().at(-1)?.drift).toMatchObject({ psi: 0, drifted: false });
    h.feed([0.95, 0.97, 0.99, 0.92], 40); // a lighting change: every tag scores high
    await h.stage.publish();
    await h.stage.publish();
    const last = h.messages().at(-1);
    expect(last?.drift.drifted).toBe(true);
    expect(h.events).toHaveLength(1);
    const [event] = h.events;
    expect(ErrorEventSchema.safeParse(event).success).toBe(true);
    expect(event).toMatchObject({
      kind: 'drift',
      code: 'MODEL_DRIFT',
      model: { name: modelA.name, version: modelA.version },
      drift: { limit: 0.25, baselineImages: 40, windowImages: 40, modelSha256: modelA.sha256 },
    });
    expect(event?.drift?.psi).toBeCloseTo(last?.drift.psi as number, 12);
    expect(event?.message).toMatch(/drifted on this line: PSI \d+\.\d{3} > limit 0\.25 over 40 images vs the first 40/);
  });
});
