/**
 * The canary's quality gate: does the new model behave on the canary's line as the baseline did? Pure,
 * over edgeqc.metrics.v1 messages (schema-valid ones only: the port never returns the others, it counts
 * them in `rejected`).
 *
 * - Evidence: the canary devices' `sinceModel` figures under the new version, summed. Fewer than
 *   `minImages` is "not enough evidence": a failure, never a pass.
 * - Baseline: the canary devices' own figures under the previous version (same cameras, same parts), or,
 *   when those hold fewer than `minImages`, the fleet's under that version (see baseline.ts). Without a
 *   baseline (the first rollout) only the evidence is required, and the figures say so.
 * - Fails when the unclear rate or the defect rate rises by more than its limit (a fall passes), or when
 *   the best-score histogram moved by a population stability index above `maxScorePsi`.
 * - An operator override (who and why) turns a failure into a recorded pass.
 */
import type { MetricsMessage } from '@edgeqc/edge-component/contracts';
import { populationStabilityIndex } from '@edgeqc/edge-component/metrics';
import { type BehaviourTotals, behaviourTotals, rateOf } from './behaviour-totals.ts';
import type { QualityGateConfig } from './quality-gate-config.ts';
import type { GateFigures, GateOutcome, QualityOverride } from './rollout-state.ts';

export type BaselineSource = 'canary' | 'fleet';

export interface GateInput {
  /** The new model version (the canary's messages about other versions are ignored). */
  readonly version: string;
  /** The new model's sha256: a message about the version with another sha256 is ignored. */
  readonly modelSha256?: string;
  readonly canary: readonly MetricsMessage[];
  readonly baseline?: {
    readonly source: BaselineSource;
    readonly version: string;
    readonly messages: readonly MetricsMessage[];
  };
  /** Schema-invalid messages the port counted (and left out). */
  readonly rejected: number;
}

export type GateFailureKind = 'not-enough-evidence' | 'unclear-rate' | 'defect-rate' | 'drift';

export interface GateResult {
  readonly outcome: GateOutcome;
  /** What failed (also kept when an override turned the failure into a pass). */
  readonly failures: readonly GateFailureKind[];
  readonly figures: GateFigures;
  readonly override?: QualityOverride;
  /** One line with the figures, for the stage summary and the notifications. */
  readonly summary: string;
}

const round = (n: number) => Math.round(n * 10_000) / 10_000;
const f3 = (n: number) => n.toFixed(3);
const signed = (n: number) => `${n >= 0 ? '+' : ''}${f3(n)}`;

function side(t: BehaviourTotals) {
  return {
    images: t.images,
    devices: [...t.devices],
    unclearRate: round(rateOf(t.unclear, t.images)),
    defectRate: round(rateOf(t.defect, t.images)),
  };
}

export function judgeQuality(input: GateInput, config: QualityGateConfig, override?: QualityOverride): GateResult {
  const trusted = input.canary.filter((m) => !input.modelSha256 || m.model.sha256 === input.modelSha256);
  const canary = behaviourTotals(trusted, input.version);
  const base = input.baseline ? behaviourTotals(input.baseline.messages, input.baseline.version) : undefined;
  const usable = base && base.images > 0 ? base : undefined;

  const failures: GateFailureKind[] = [];
  let unclearRateIncrease: number | null = null;
  let defectRateIncrease: number | null = null;
  let scorePsi: number | null = null;
  if (canary.images < config.minImages) failures.push('not-enough-evidence');
  else if (usable) {
    unclearRateIncrease = round(rateOf(canary.unclear, canary.images) - rateOf(usable.unclear, usable.images));
    defectRateIncrease = round(rateOf(canary.defect, canary.images) - rateOf(usable.defect, usable.images));
    const sum = (c: readonly number[]) => c.reduce((a, b) => a + b, 0);
    if (sum(canary.bestScoreCounts) > 0 && sum(usable.bestScoreCounts) > 0) {
      scorePsi = round(populationStabilityIndex(usable.bestScoreCounts, canary.bestScoreCounts));
    }
    if (unclearRateIncrease > config.maxUnclearRateIncrease) failures.push('unclear-rate');
    if (defectRateIncrease > config.maxDefectRateIncrease) failures.push('defect-rate');
    if (scorePsi !== null && scorePsi > config.maxScorePsi) failures.push('drift');
  }

  const figures: GateFigures = {
    version: input.version,
    ...side(canary),
    baseline:
      usable && input.baseline
        ? { source: input.baseline.source, version: input.baseline.version, ...side(usable) }
        : null,
    unclearRateIncrease,
    defectRateIncrease,
    scorePsi,
    rejected: input.rejected,
    limits: {
      minImages: config.minImages,
      maxUnclearRateIncrease: config.maxUnclearRateIncrease,
      maxDefectRateIncrease: config.maxDefectRateIncrease,
      maxScorePsi: config.maxScorePsi,
    },
  };
  const outcome: GateOutcome =
    failures.length === 0
      ? 'passed'
      : override
        ? 'overridden'
        : failures.includes('not-enough-evidence')
          ? 'not-enough-evidence'
          : 'failed';
  return { outcome, failures, figures, override, summary: gateSummary(outcome, failures, figures, override) };
}

const FAILURE_TEXT: Record<GateFailureKind, string> = {
  'not-enough-evidence': 'not enough evidence',
  'unclear-rate': 'unclear rate',
  'defect-rate': 'defect rate',
  drift: 'score drift',
};

/** "quality gate FAILED (defect rate): defect rate 0.593 -> 0.850 (+0.257, limit +0.150); ..." */
export function gateSummary(
  outcome: GateOutcome,
  failures: readonly GateFailureKind[],
  f: GateFigures,
  override?: QualityOverride,
): string {
  const head =
    outcome === 'passed'
      ? 'quality gate passed'
      : outcome === 'overridden'
        ? `quality gate OVERRIDDEN by ${override?.by} (${override?.reason}); it had failed on ${failures.map((k) => FAILURE_TEXT[k]).join(', ')}`
        : `quality gate FAILED on ${failures.map((k) => FAILURE_TEXT[k]).join(', ')}`;
  const parts: string[] = [];
  const evidence = `${f.images} image(s) under ${f.version} on ${f.devices.join(', ') || 'no canary device'} (at least ${f.limits.minImages} needed)`;
  if (f.baseline) {
    const b = f.baseline;
    const mark = (k: GateFailureKind) => (failures.includes(k) ? ' FAILED' : '');
    if (f.unclearRateIncrease !== null) {
      parts.push(
        `unclear rate ${f3(b.unclearRate)} -> ${f3(f.unclearRate)} (${signed(f.unclearRateIncrease)}, limit +${f3(f.limits.maxUnclearRateIncrease)})${mark('unclear-rate')}`,
      );
    }
    if (f.defectRateIncrease !== null) {
      parts.push(
        `defect rate ${f3(b.defectRate)} -> ${f3(f.defectRate)} (${signed(f.defectRateIncrease)}, limit +${f3(f.limits.maxDefectRateIncrease)})${mark('defect-rate')}`,
      );
    }
    if (f.scorePsi !== null) {
      parts.push(`best-score PSI ${f3(f.scorePsi)} (limit ${f3(f.limits.maxScorePsi)})${mark('drift')}`);
    }
    parts.push(evidence);
    const whose = b.source === 'canary' ? "the canary's own before the swap" : "the fleet's";
    parts.push(`baseline ${b.images} image(s) under ${b.version} on ${b.devices.join(', ')} (${whose})`);
  } else {
    parts.push(`unclear rate ${f3(f.unclearRate)}, defect rate ${f3(f.defectRate)}`);
    parts.push(evidence);
    if (!failures.includes('not-enough-evidence')) parts.push('no baseline: rates and drift not compared');
  }
  parts.push(`${f.rejected} metrics message(s) rejected by the schema and ignored`);
  return `${head}: ${parts.join('; ')}`;
}
