import { describe, expect, it } from 'vitest';
import { MetricsSchema } from '../../src/contracts/metrics.ts';
import { createModelMetrics, type ModelMetricsSettings } from '../../src/metrics/model-metrics.ts';
import { populationStabilityIndex } from '../../src/metrics/psi.ts';
import { modelA, modelB, sample, samples } from './fixtures.ts';

const T0 = Date.UTC(2026, 11, 7, 18, 0, 0);
const ids = (n: number) => ({ thingName: 'line-1', messageId: `m-${n}` });
const settings: ModelMetricsSettings = {
  windowSeconds: 3600,
  windowImages: 20,
  drift: { baselineImages: 20, psiLimit: 0.25 },
};

describe('the model metrics of one device', () => {
  it('publishes nothing while no model has served', () => {
    const m = createModelMetrics(settings);
    m.event('quarantined', T0);
    expect(m.message(T0, ids(1))).toBeNull();
    expect(m.last()).toBeNull();
  });

  it('builds a schema-valid message with the window, rates, histogram and since-model figures', () => {
    const m = createModelMetrics(settings);
    m.serving(modelA, T0);
    for (const s of samples(10, T0 + 1000, [0, 0, 0.3, 0.9])) m.inspected(modelA, s);
    m.event('quarantined', T0 + 5000);
    m.event('error', T0 + 6000);
    const { message } = m.message(T0 + 20_000, ids(1)) ?? {};
    expect(MetricsSchema.safeParse(message).success).toBe(true);
    expect(message).toMatchObject({
      schema: 'edgeqc.metrics.v1',
      thingName: 'line-1',
      messageId: 'm-1',
      model: modelA,
      modelSince: new Date(T0).toISOString(),
      publishedAt: new Date(T0 + 20_000).toISOString(),
      window: { start: new Date(T0 + 1000).toISOString(), seconds: 3600, maxImages: 20 },
      images: 10,
      verdicts: { ok: 6, unclear: 2, defect: 2 },
      unclearRate: 0.2,
      defectRate: 0.2,
      bestScore: {
        binEdges: [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1],
        counts: [6, 0, 0, 2, 0, 0, 0, 0, 0, 2],
      },
      detectionsPerImage: { mean: 0.4, max: 1 },
      quarantined: 1,
      errors: 1,
      sinceModel: { images: 10, verdicts: { ok: 6, unclear: 2, defect: 2 }, quarantined: 1, errors: 1 },
      drift: { baselineImages: 20, psi: null, limit: 0.25, drifted: false },
    });
  });

  it('keeps since-model counts cumulative while the window rolls', () => {
    const m = createModelMetrics({ ...settings, windowImages: 10 });
    m.serving(modelA, T0);
    for (const s of samples(35, T0, [0.95])) m.inspected(modelA, s);
    const message = m.message(T0 + 40_000, ids(1))?.message;
    expect(message?.images).toBe(10);
    expect(message?.sinceModel.images).toBe(35);
    expect(message?.sinceModel.bestScoreCounts[9]).toBe(35);
  });

  it('starts afresh when another model version serves (hot swap), the same version changes nothing', () => {
    const m = createModelMetrics(settings);
    m.serving(modelA, T0);
    for (const s of samples(5, T0, [0.9])) m.inspected(modelA, s);
    m.serving(modelA, T0 + 10_000);
    expect(m.message(T0 + 10_000, ids(1))?.message.sinceModel.images).toBe(5);
    m.serving(modelB, T0 + 20_000);
    expect(m.inspected(modelA, sample(T0 + 20_500))).toBe(false); // in flight across the swap: not counted
    expect(m.inspected(modelB, sample(T0 + 21_000))).toBe(true);
    const after = m.message(T0 + 21_000, ids(2))?.message;
    expect(after).toMatchObject({ model: modelB, modelSince: new Date(T0 + 20_000).toISOString(), images: 1 });
    expect(after?.sinceModel).toMatchObject({ images: 1, verdicts: { ok: 1, defect: 0, unclear: 0 } });
  });

  it('measures no drift on the baseline distribution, and raises one crossing when the scores shift', () => {
    const m = createModelMetrics(settings);
    m.serving(modelA, T0);
    const baselineScores = [0, 0, 0, 0, 0.05, 0.15, 0.3, 0.6, 0.92, 0.97];
    for (const s of samples(20, T0, baselineScores)) m.inspected(modelA, s);
    const calm = m.message(T0 + 30_000, ids(1));
    expect(calm?.message.drift).toEqual({ baselineImages: 20, psi: 0, limit: 0.25, drifted: false });
    expect(calm?.crossing).toBeUndefined();

    // After a lighting change most tags score high: the window (the last 20) moves away from the baseline.
    const shifted = [0.92, 0.97, 0.95, 0.91, 0.6, 0.3];
    for (const s of samples(20, T0 + 40_000, shifted)) m.inspected(modelA, s);
    const crossed = m.message(T0 + 70_000, ids(2));
    const window = crossed?.message.bestScore.counts as number[];
    const expected = populationStabilityIndex(calm?.message.bestScore.counts as number[], window);
    expect(crossed?.message.drift.psi).toBeCloseTo(expected, 12);
    expect(crossed?.message.drift.drifted).toBe(true);
    expect(crossed?.crossing).toMatchObject({ model: modelA, limit: 0.25, baselineImages: 20, windowImages: 20 });
    expect(crossed?.crossing?.psi).toBeGreaterThan(0.25);

    // Still drifted: no second event for the same crossing.
    const still = m.message(T0 + 80_000, ids(3));
    expect(still?.message.drift.drifted).toBe(true);
    expect(still?.crossing).toBeUndefined();

    // Back to the baseline mix, then shifted again: a new crossing.
    for (const s of samples(20, T0 + 90_000, baselineScores)) m.inspected(modelA, s);
    expect(m.message(T0 + 120_000, ids(4))?.message.drift.drifted).toBe(false);
    for (const s of samples(20, T0 + 130_000, shifted)) m.inspected(modelA, s);
    expect(m.message(T0 + 160_000, ids(5))?.crossing).toBeDefined();
  });

  it('waits for the baseline to fill before it measures drift', () => {
    const m = createModelMetrics(settings);
    m.serving(modelA, T0);
    for (const s of samples(19, T0, [0.9])) m.inspected(modelA, s);
    expect(m.message(T0 + 20_000, ids(1))?.message.drift.psi).toBeNull();
    m.inspected(modelA, sample(T0 + 21_000, { bestScore: 0.9 }));
    expect(m.message(T0 + 22_000, ids(2))?.message.drift.psi).toBe(0);
  });
});
