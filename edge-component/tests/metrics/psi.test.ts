import { describe, expect, it } from 'vitest';
import { MetricsError } from '../../src/errors.ts';
import { PSI_EPSILON, populationStabilityIndex } from '../../src/metrics/psi.ts';

describe('populationStabilityIndex', () => {
  it('is 0 for the same distribution, whatever the totals', () => {
    expect(populationStabilityIndex([10, 20, 30, 40], [1, 2, 3, 4])).toBeCloseTo(0, 12);
  });

  it('matches the formula on a known shift: sum of (r - b) * ln(r / b)', () => {
    // baseline shares 0.5 / 0.5, recent 0.8 / 0.2
    const expected = (0.8 - 0.5) * Math.log(0.8 / 0.5) + (0.2 - 0.5) * Math.log(0.2 / 0.5);
    expect(populationStabilityIndex([50, 50], [80, 20])).toBeCloseTo(expected, 12);
    expect(expected).toBeCloseTo(0.4159, 4);
  });

  it('is symmetric in its two sides', () => {
    expect(populationStabilityIndex([5, 3, 2], [1, 1, 8])).toBeCloseTo(
      populationStabilityIndex([1, 1, 8], [5, 3, 2]),
      12,
    );
  });

  it('counts an empty bin on one side as the epsilon share, and a bin empty on both as nothing', () => {
    const oneSided = (1 - PSI_EPSILON) * Math.log(1 / PSI_EPSILON) + (PSI_EPSILON - 1) * Math.log(PSI_EPSILON / 1);
    expect(populationStabilityIndex([10, 0, 0], [0, 10, 0])).toBeCloseTo(oneSided, 9);
    expect(Number.isFinite(populationStabilityIndex([10, 0], [0, 10]))).toBe(true);
  });

  it('grows as the recent side moves further from the baseline', () => {
    const baseline = [70, 10, 10, 10];
    const small = populationStabilityIndex(baseline, [65, 12, 12, 11]);
    const large = populationStabilityIndex(baseline, [10, 10, 10, 70]);
    expect(small).toBeLessThan(0.1);
    expect(large).toBeGreaterThan(0.25);
  });

  it.each([
    ['vectors of different lengths', [1, 2], [1, 2, 3], /same length, got 2 and 3 bins/],
    ['empty vectors', [], [], /non-empty/],
    ['a negative count', [1, -1], [1, 1], /baseline bin 1 is -1/],
    ['a non-finite count', [1, 1], [1, Number.NaN], /recent bin 1 is NaN/],
    ['a side without observations', [0, 0], [1, 1], /baseline counts sum to 0/],
  ])('refuses %s with METRICS_INVALID_COUNTS', (_case, baseline, recent, message) => {
    const call = () => populationStabilityIndex(baseline, recent);
    expect(call).toThrow(MetricsError);
    expect(call).toThrow(message);
    expect(() => call()).toThrow(expect.objectContaining({ code: 'METRICS_INVALID_COUNTS' }));
  });
});
