import { describe, expect, it } from 'vitest';
import { decideMetricsEvent, metricsGroup, metricsRecord, rejectedRecord } from '../../src/domain/metrics-ingest.ts';

const message = {
  schema: 'edgeqc.metrics.v1',
  messageId: 'm-1',
  thingName: 'line-1',
  publishedAt: '2026-12-07T18:10:00.000Z',
  model: { name: 'tag-scratch', version: '2.0.0', sha256: 'a'.repeat(64), precision: 'int8' },
  modelSince: '2026-12-07T18:00:00.000Z',
  window: { start: '2026-12-07T18:05:00.000Z', end: '2026-12-07T18:10:00.000Z', seconds: 300, maxImages: 500 },
  images: 10,
  verdicts: { ok: 6, defect: 3, unclear: 1 },
  unclearRate: 0.1,
  defectRate: 0.3,
  bestScore: { binEdges: [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1], counts: [6, 0, 0, 1, 0, 0, 0, 0, 1, 2] },
  detectionsPerImage: { mean: 0.4, max: 2 },
  latencyMs: { prepare: { p50: 9, p95: 14 }, inference: { p50: 21, p95: 30 } },
  quarantined: 0,
  errors: 0,
  sinceModel: {
    images: 10,
    verdicts: { ok: 6, defect: 3, unclear: 1 },
    bestScoreCounts: [6, 0, 0, 1, 0, 0, 0, 0, 1, 2],
    quarantined: 0,
    errors: 0,
  },
  drift: { baselineImages: 20, psi: null, limit: 0.25, drifted: false },
};
const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64');

describe('metrics messages from the IoT rule', () => {
  it('trusts a schema-valid message that names the thing of its topic', () => {
    expect(decideMetricsEvent({ payload: b64(message), thingName: 'line-1' })).toMatchObject({ kind: 'accepted' });
  });

  it('rejects, with the reason and the version it claimed, what fails the schema, is not JSON or names another thing', () => {
    expect(decideMetricsEvent({ payload: b64({ ...message, images: -1 }), thingName: 'line-1' })).toMatchObject({
      kind: 'rejected',
      thingName: 'line-1',
      modelVersion: '2.0.0',
      reason: expect.stringMatching(/^not an edgeqc.metrics.v1 message \(images:/),
    });
    expect(decideMetricsEvent({ payload: b64('{oops'), thingName: 'line-1' })).toMatchObject({
      kind: 'rejected',
      reason: expect.stringMatching(/^payload is not JSON/),
    });
    expect(decideMetricsEvent({ payload: b64(message), thingName: 'line-9' })).toMatchObject({
      kind: 'rejected',
      reason: "thingName 'line-1' is not the thing of the topic ('line-9')",
    });
    expect(decideMetricsEvent({ thingName: 'line-1' })).toMatchObject({ kind: 'rejected', reason: /no payload/ });
  });

  it("takes a device's group from the rollout's groups, in order, else none", () => {
    expect(metricsGroup(['edgeqc-devices', 'fleet'], ['canary', 'fleet'])).toBe('fleet');
    expect(metricsGroup(['fleet', 'canary'], ['canary', 'fleet'])).toBe('canary');
    expect(metricsGroup(['edgeqc-devices'], ['canary', 'fleet'])).toBe('none');
  });

  it('writes one EMF record per message under three dimension sets, PSI only once the device has one', () => {
    const d = decideMetricsEvent({ payload: b64(message), thingName: 'line-1' });
    if (d.kind !== 'accepted') throw new Error('expected accepted');
    const r = metricsRecord(d.message, 'fleet', 'edgeqc') as Record<string, unknown> & {
      _aws: { Timestamp: number; CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] };
    };
    const spec = r._aws.CloudWatchMetrics[0]!;
    expect(spec.Dimensions).toEqual([['Group', 'ModelVersion'], ['ThingName', 'ModelVersion'], ['Group']]);
    expect(spec.Metrics.map((m) => m.Name)).not.toContain('ScorePsi');
    expect(r).toMatchObject({
      Group: 'fleet',
      ModelVersion: '2.0.0',
      ThingName: 'line-1',
      Images: 10,
      UnclearRate: 0.1,
    });
    expect(r._aws.Timestamp).toBe(Date.parse('2026-12-07T18:10:00.000Z'));
    const drifted = metricsRecord(
      { ...d.message, drift: { ...d.message.drift, psi: 0.4, drifted: true } },
      'fleet',
      'edgeqc',
    );
    expect(drifted).toMatchObject({ ScorePsi: 0.4, Drifted: 1 });
  });

  it('counts a rejected message in total and per thing', () => {
    const r = rejectedRecord({ kind: 'rejected', thingName: 'line-1', reason: 'x' }, 'edgeqc', 1) as {
      _aws: { CloudWatchMetrics: { Dimensions: string[][] }[] };
      RejectedMessages: number;
    };
    expect(r._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([[], ['ThingName']]);
    expect(r.RejectedMessages).toBe(1);
  });
});
