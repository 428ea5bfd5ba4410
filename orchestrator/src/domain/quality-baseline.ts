/**
 * Which devices' figures the canary is compared with. First the canary devices' own, under the version
 * they served before the swap: same cameras, same parts, same light, so a difference is the model's.
 * When those add up to fewer than `minImages` (a device restarted, or joined the canary group lately),
 * the fleet's under that same version; a bounded sample of it, so the query does not grow with the fleet.
 * Pure.
 */
import type { MetricsMessage } from '@edgeqc/edge-component/contracts';
import { behaviourTotals } from './behaviour-totals.ts';
import type { BaselineSource } from './quality-gate.ts';

/** Fleet devices asked for their figures, at most. */
export const FLEET_BASELINE_SAMPLE = 50;

export interface ChosenBaseline {
  readonly source: BaselineSource;
  readonly version: string;
  readonly messages: readonly MetricsMessage[];
}

/** The figures of `source` under `version` when they add up to `minImages`, else undefined. */
export function baselineFrom(
  source: BaselineSource,
  messages: readonly MetricsMessage[],
  version: string,
  minImages: number,
): ChosenBaseline | undefined {
  const about = messages.filter((m) => m.model.version === version);
  return behaviourTotals(about, version).images >= minImages ? { source, version, messages: about } : undefined;
}

/** The fleet members asked: the first FLEET_BASELINE_SAMPLE, canary devices left out. */
export function fleetSample(members: readonly string[], canary: readonly string[]): string[] {
  return members.filter((t) => !canary.includes(t)).slice(0, FLEET_BASELINE_SAMPLE);
}
