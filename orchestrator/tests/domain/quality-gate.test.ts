import { describe, expect, it } from 'vitest';
import { baselineFrom, FLEET_BASELINE_SAMPLE, fleetSample } from '../../src/domain/quality-baseline.ts';
import { type GateInput, judgeQuality } from '../../src/domain/quality-gate.ts';
import { qualityGateConfig } from '../../src/domain/quality-gate-config.ts';
import { metricsMessage, SHA } from '../helpers/metrics.ts';

const config = qualityGateConfig({
  minImages: 100,
  maxUnclearRateIncrease: 0.1,
  maxDefectRateIncrease: 0.1,
  maxScorePsi: 0.25,
});

/** The canary's own figures under 2.0.0: 60 % ok, 30 % defect, 10 % unclear over 400 images. */
const before = [metricsMessage('canary-1', '2.0.0', { ok: 240, defect: 120, unclear: 40, sha256: SHA.old })];
const baseline = { source: 'canary' as const, version: '2.0.0', messages: before };
const input = (canary: GateInput['canary'], extra: Partial<GateInput> = {}): GateInput => ({
  version: '2.1.0',
  modelSha256: SHA.new,
  canary,
  baseline,
  rejected: 0,
  ...extra,
});

describe('quality gate on recorded metrics', () => {
  it('passes a canary that behaves like its baseline, with the figures', () => {
    const r = judgeQuality(input([metricsMessage('canary-1', '2.1.0', { ok: 62, defect: 29, unclear: 9 })]), config);
    expect(r.outcome).toBe('passed');
    expect(r.failures).toEqual([]);
    expect(r.figures).toMatchObject({
      images: 100,
      defectRate: 0.29,
      unclearRate: 0.09,
      defectRateIncrease: -0.01,
      unclearRateIncrease: -0.01,
      baseline: { source: 'canary', version: '2.0.0', images: 400, defectRate: 0.3, unclearRate: 0.1 },
    });
    expect(r.figures.scorePsi).toBeLessThan(0.01);
    expect(r.summary).toMatch(/^quality gate passed: unclear rate 0\.100 -> 0\.090 \(-0\.010, limit \+0\.100\)/);
    expect(r.summary).toContain('defect rate 0.300 -> 0.290');
    expect(r.summary).toContain("baseline 400 image(s) under 2.0.0 on canary-1 (the canary's own before the swap)");
  });

  it('adds up the sinceModel figures of every canary device', () => {
    const r = judgeQuality(
      input([
        metricsMessage('canary-1', '2.1.0', { ok: 30, defect: 15, unclear: 5 }),
        metricsMessage('canary-2', '2.1.0', { ok: 30, defect: 15, unclear: 5 }),
      ]),
      config,
    );
    expect(r.figures).toMatchObject({ images: 100, devices: ['canary-1', 'canary-2'], defectRate: 0.3 });
    expect(r.outcome).toBe('passed');
  });

  it('fails when the unclear rate rises beyond its limit', () => {
    const r = judgeQuality(input([metricsMessage('canary-1', '2.1.0', { ok: 50, defect: 25, unclear: 25 })]), config);
    expect(r.outcome).toBe('failed');
    expect(r.failures).toEqual(['unclear-rate']);
    expect(r.figures.unclearRateIncrease).toBe(0.15);
    expect(r.summary).toMatch(
      /^quality gate FAILED on unclear rate: unclear rate 0\.100 -> 0\.250 \(\+0\.150, limit \+0\.100\) FAILED/,
    );
  });

  it('fails when the defect rate rises beyond its limit (most tags called defects)', () => {
    const r = judgeQuality(input([metricsMessage('canary-1', '2.1.0', { ok: 15, defect: 80, unclear: 5 })]), config);
    expect(r.outcome).toBe('failed');
    expect(r.failures).toContain('defect-rate');
    expect(r.figures.defectRateIncrease).toBe(0.5);
    expect(r.summary).toContain('defect rate 0.300 -> 0.800 (+0.500, limit +0.100) FAILED');
  });

  it('passes a fall of either rate: only a rise is a regression', () => {
    const r = judgeQuality(input([metricsMessage('canary-1', '2.1.0', { ok: 70, defect: 25, unclear: 5 })]), config);
    expect(r.outcome).toBe('passed');
  });

  it('fails on drift when the best-score histogram moved, though the verdict mix did not', () => {
    // Same verdicts as the baseline, but the defects' best scores slid from 0.9+ to 0.5-0.6 and the clean
    // tags' from 0 to 0.1-0.2: a model that sees the line differently (lighting, a bad export...).
    const bins = [0, 60, 0, 10, 0, 30, 0, 0, 0, 0];
    const r = judgeQuality(
      input([metricsMessage('canary-1', '2.1.0', { ok: 60, defect: 30, unclear: 10, bins })]),
      config,
    );
    expect(r.failures).toEqual(['drift']);
    expect(r.outcome).toBe('failed');
    expect(r.figures.scorePsi).toBeGreaterThan(0.25);
    expect(r.summary).toMatch(/best-score PSI \d+\.\d{3} \(limit 0\.250\) FAILED/);
  });

  it('fails with "not enough evidence" when the canary inspected too few images, never a pass', () => {
    const r = judgeQuality(input([metricsMessage('canary-1', '2.1.0', { ok: 6, defect: 3, unclear: 1 })]), config);
    expect(r.outcome).toBe('not-enough-evidence');
    expect(r.failures).toEqual(['not-enough-evidence']);
    expect(r.summary).toMatch(
      /^quality gate FAILED on not enough evidence: .*10 image\(s\) under 2\.1\.0 on canary-1 \(at least 100 needed\)/,
    );
    expect(judgeQuality(input([]), config).outcome).toBe('not-enough-evidence');
  });

  it('turns a failure into a recorded pass on an operator override, who and why kept', () => {
    const override = { by: 'jane@plant-3', reason: 'new tag supplier: more scratches expected this week' };
    const r = judgeQuality(
      input([metricsMessage('canary-1', '2.1.0', { ok: 15, defect: 80, unclear: 5 })]),
      config,
      override,
    );
    expect(r.outcome).toBe('overridden');
    // Most tags called defects also moves the best-score histogram: both are recorded.
    expect(r.failures).toEqual(['defect-rate', 'drift']);
    expect(r.override).toEqual(override);
    expect(r.summary).toMatch(
      /^quality gate OVERRIDDEN by jane@plant-3 \(new tag supplier: more scratches expected this week\); it had failed on defect rate, score drift: /,
    );
  });

  it('counts rejected messages in the figures and never trusts a message about another model', () => {
    const r = judgeQuality(
      input(
        [
          metricsMessage('canary-1', '2.1.0', { ok: 60, defect: 30, unclear: 10 }),
          // Same version, another model file: not the release under test.
          metricsMessage('canary-2', '2.1.0', { ok: 0, defect: 500, unclear: 0, sha256: SHA.old }),
          // Another version altogether.
          metricsMessage('canary-3', '9.9.9', { ok: 0, defect: 500, unclear: 0 }),
        ],
        { rejected: 7 },
      ),
      config,
    );
    expect(r.outcome).toBe('passed');
    expect(r.figures).toMatchObject({ images: 100, devices: ['canary-1'], rejected: 7 });
    expect(r.summary).toContain('7 metrics message(s) rejected by the schema and ignored');
  });

  it('without a baseline (a first rollout) requires the evidence only, and says rates were not compared', () => {
    const r = judgeQuality(
      input([metricsMessage('canary-1', '2.1.0', { ok: 10, defect: 85, unclear: 5 })], { baseline: undefined }),
      config,
    );
    expect(r.outcome).toBe('passed');
    expect(r.figures.baseline).toBeNull();
    expect(r.summary).toContain('no baseline: rates and drift not compared');
  });
});

describe('the baseline', () => {
  it("is the canary's own under the previous version when it holds enough images, else the fleet's", () => {
    const few = [metricsMessage('canary-1', '2.0.0', { ok: 5, defect: 3 })];
    expect(baselineFrom('canary', before, '2.0.0', 100)).toMatchObject({ source: 'canary', version: '2.0.0' });
    expect(baselineFrom('canary', few, '2.0.0', 100)).toBeUndefined();
    const fleet = [
      metricsMessage('line-1', '2.0.0', { ok: 60, defect: 30 }),
      metricsMessage('line-2', '2.0.0', { ok: 6, defect: 4 }),
    ];
    expect(baselineFrom('fleet', fleet, '2.0.0', 100)).toMatchObject({ source: 'fleet', messages: fleet });
  });

  it('asks a bounded sample of the fleet, canary devices left out', () => {
    const members = ['canary-1', ...Array.from({ length: 500 }, (_, i) => `line-${i}`)];
    const sample = fleetSample(members, ['canary-1']);
    expect(sample).toHaveLength(FLEET_BASELINE_SAMPLE);
    expect(sample).not.toContain('canary-1');
  });
});

describe('quality gate settings', () => {
  it('has defaults and refuses a value out of range, naming the key and the value', () => {
    expect(qualityGateConfig({})).toEqual({
      minImages: 200,
      minBakeSeconds: 600,
      maxUnclearRateIncrease: 0.1,
      maxDefectRateIncrease: 0.1,
      maxScorePsi: 0.25,
    });
    expect(() => qualityGateConfig({ maxDefectRateIncrease: 1.5 })).toThrow(/qualityGate\.maxDefectRateIncrease=1\.5/);
    expect(() => qualityGateConfig({ minImages: 0 }, 'props')).toThrow(/props\.minImages=0/);
    expect(() => qualityGateConfig({ maxScorePsi: -1 })).toThrow(/maxScorePsi=-1/);
    expect(() => qualityGateConfig({ minImage: 5 })).toThrow(/Unrecognized key/);
  });
});
