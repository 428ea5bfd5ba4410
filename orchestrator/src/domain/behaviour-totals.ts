/**
 * Adds up what devices report about one model version: the `sinceModel` figures of their newest
 * edgeqc.metrics.v1 message (cumulative since the version started serving on each device, so the sum over
 * devices is exact). Pure.
 */
import { type MetricsMessage, SCORE_BIN_COUNT } from '@edgeqc/edge-component/contracts';

export interface BehaviourTotals {
  /** Devices whose message was counted. */
  readonly devices: readonly string[];
  readonly images: number;
  readonly ok: number;
  readonly defect: number;
  readonly unclear: number;
  /** Best-score histogram (ten bins of 0.1), summed. */
  readonly bestScoreCounts: readonly number[];
  readonly quarantined: number;
  readonly errors: number;
}

/** The totals of `messages` that are about `version` (at most one per device is expected; the newest wins). */
export function behaviourTotals(messages: readonly MetricsMessage[], version: string): BehaviourTotals {
  const newest = new Map<string, MetricsMessage>();
  for (const m of messages) {
    if (m.model.version !== version) continue;
    const seen = newest.get(m.thingName);
    if (!seen || Date.parse(m.publishedAt) > Date.parse(seen.publishedAt)) newest.set(m.thingName, m);
  }
  const bestScoreCounts = new Array<number>(SCORE_BIN_COUNT).fill(0);
  let images = 0;
  let ok = 0;
  let defect = 0;
  let unclear = 0;
  let quarantined = 0;
  let errors = 0;
  for (const m of newest.values()) {
    const s = m.sinceModel;
    images += s.images;
    ok += s.verdicts.ok;
    defect += s.verdicts.defect;
    unclear += s.verdicts.unclear;
    quarantined += s.quarantined;
    errors += s.errors;
    s.bestScoreCounts.forEach((c, i) => {
      bestScoreCounts[i] = (bestScoreCounts[i] ?? 0) + c;
    });
  }
  return {
    devices: [...newest.keys()].sort(),
    images,
    ok,
    defect,
    unclear,
    bestScoreCounts,
    quarantined,
    errors,
  };
}

/** A share of the images, 0 when there are none. */
export const rateOf = (count: number, images: number): number => (images > 0 ? count / images : 0);
