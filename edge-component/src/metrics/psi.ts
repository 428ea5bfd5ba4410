/**
 * Population stability index (PSI): how far a recent distribution has moved from a baseline, over the
 * same bins. With `b` and `r` the baseline and recent shares of bin i,
 *
 *     PSI = sum over bins of (r - b) * ln(r / b)
 *
 * It is 0 for identical shares and grows with the shift; it is symmetric in the two sides. A common
 * reading (credit-risk practice, where the measure comes from): below 0.1 no real change, 0.1 to 0.25
 * a moderate shift, above 0.25 a significant one. The agent's drift limit and the rollout's quality
 * gate take their limit from configuration.
 *
 * Empty bins: ln(0) is undefined, so a share of 0 on either side counts as PSI_EPSILON (1e-4, one
 * image in ten thousand) instead. A bin empty on both sides adds nothing. The epsilon bounds what one
 * bin that empties or fills can add (about |share| * ln(share / 1e-4)), so a single image in a bin
 * that was empty moves the index by a bounded, small amount on large windows.
 *
 * Pure: counts in, a number out.
 */
import { MetricsCode, MetricsError } from '../errors.ts';

/** The share an empty bin counts as on either side. */
export const PSI_EPSILON = 1e-4;

/**
 * PSI of `recent` against `baseline`, two count vectors over the same bins. Throws MetricsError
 * (METRICS_INVALID_COUNTS) when the vectors differ in length, are empty, hold a negative or non-finite
 * count, or one of them sums to 0 (a distribution needs at least one observation).
 */
export function populationStabilityIndex(baseline: readonly number[], recent: readonly number[]): number {
  if (baseline.length === 0 || baseline.length !== recent.length) {
    throw new MetricsError(
      MetricsCode.InvalidCounts,
      `population stability index: expected two non-empty count vectors of the same length, got ${baseline.length} and ${recent.length} bins`,
    );
  }
  const baselineTotal = total('baseline', baseline);
  const recentTotal = total('recent', recent);
  let psi = 0;
  for (let i = 0; i < baseline.length; i++) {
    const b = (baseline[i] as number) / baselineTotal;
    const r = (recent[i] as number) / recentTotal;
    if (b === 0 && r === 0) continue;
    const bs = Math.max(b, PSI_EPSILON);
    const rs = Math.max(r, PSI_EPSILON);
    psi += (rs - bs) * Math.log(rs / bs);
  }
  return psi;
}

function total(side: string, counts: readonly number[]): number {
  let sum = 0;
  for (const [i, c] of counts.entries()) {
    if (!Number.isFinite(c) || c < 0) {
      throw new MetricsError(
        MetricsCode.InvalidCounts,
        `population stability index: ${side} bin ${i} is ${c}, expected a finite count >= 0`,
      );
    }
    sum += c;
  }
  if (sum === 0) {
    throw new MetricsError(
      MetricsCode.InvalidCounts,
      `population stability index: the ${side} counts sum to 0, expected at least one observation`,
    );
  }
  return sum;
}
