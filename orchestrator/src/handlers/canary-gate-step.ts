/**
 * VerifyCanary's quality gate, once the canary's health bake is over: gathers the canary devices' metrics
 * under the new model (and the baseline's under the previous one) through the BehaviourSource port, waits
 * for enough evidence, then judges (domain/quality-gate.ts). A failure throws QualityGateFailedError with
 * the figures in its message (the failure notification's reason); a pass, or an overridden failure, is
 * returned as the record that goes into the state and the success notification.
 */
import type { Logger } from 'pino';
import { behaviourTotals } from '../domain/behaviour-totals.ts';
import { baselineFrom, fleetSample } from '../domain/quality-baseline.ts';
import { judgeQuality } from '../domain/quality-gate.ts';
import type { QualityGateConfig } from '../domain/quality-gate-config.ts';
import type { QualityGateRecord, QualityOverride, Stage } from '../domain/rollout-state.ts';
import { ErrorNames, RolloutError } from '../errors.ts';
import type { BehaviourSource, DeploymentService } from '../ports.ts';

export interface QualityGateDeps {
  readonly behaviour: BehaviourSource;
  readonly config: QualityGateConfig;
  /** The fleet group: a sample of its devices is the baseline when the canary's own figures are too few. */
  readonly fleetGroup?: string;
}

export interface CanaryGateContext {
  readonly deployments: DeploymentService;
  readonly stage: Stage;
  /** The canary group's devices. */
  readonly things: readonly string[];
  readonly model: { readonly name: string; readonly version: string; readonly sha256: string };
  readonly override?: QualityOverride;
  /** When the bake's minimum time ended: each device's metrics must be at least this recent. */
  readonly bakeEnd: Date;
  /** The canary timeout: past it, the gate judges what it has (too little is a failure). */
  readonly pastDeadline: boolean;
  readonly log: Logger;
}

export type CanaryGateStep =
  | { readonly done: false; readonly summary: string }
  | { readonly done: true; readonly record: QualityGateRecord };

/** The model version in the canary group's previous deployment (what the canary served before). */
export async function previousModelVersion(
  deployments: DeploymentService,
  stage: Stage,
  componentName: string,
): Promise<string | undefined> {
  if (!stage.previousDeploymentId) return undefined;
  const previous = await deployments.getDeployment(stage.previousDeploymentId);
  return previous.components[componentName]?.componentVersion;
}

export async function canaryGateStep(gate: QualityGateDeps, ctx: CanaryGateContext): Promise<CanaryGateStep> {
  const { model, stage } = ctx;
  const config = gate.config;
  const previous = stage.bake?.baselineVersion;
  const asked = await gate.behaviour.latest({
    thingNames: ctx.things,
    modelVersions: previous && previous !== model.version ? [model.version, previous] : [model.version],
  });
  const canary = asked.messages.filter((m) => m.model.version === model.version && m.model.sha256 === model.sha256);
  const images = behaviourTotals(canary, model.version).images;
  const fresh = new Set(
    canary.filter((m) => Date.parse(m.publishedAt) >= ctx.bakeEnd.getTime()).map((m) => m.thingName),
  );
  const stale = ctx.things.filter((t) => !fresh.has(t));
  if (!ctx.pastDeadline && (stale.length > 0 || images < config.minImages)) {
    const waiting = stale.length > 0 ? `; waiting for metrics published after the bake from ${stale.join(', ')}` : '';
    return {
      done: false,
      summary: `quality gate: ${images} of at least ${config.minImages} image(s) under ${model.version}${waiting}`,
    };
  }

  let rejected = asked.rejected;
  let baseline = previous ? baselineFrom('canary', asked.messages, previous, config.minImages) : undefined;
  if (!baseline && previous && gate.fleetGroup) {
    const sample = fleetSample(await ctx.deployments.groupMembers(gate.fleetGroup), ctx.things);
    if (sample.length > 0) {
      const fleet = await gate.behaviour.latest({ thingNames: sample, modelVersions: [previous] });
      rejected += fleet.rejected;
      baseline = baselineFrom('fleet', fleet.messages, previous, config.minImages);
    }
  }
  const result = judgeQuality(
    { version: model.version, modelSha256: model.sha256, canary, baseline, rejected },
    config,
    ctx.override,
  );
  ctx.log.info({ gate: result.outcome, failures: result.failures, figures: result.figures }, 'quality gate judged');
  if (result.outcome === 'failed' || result.outcome === 'not-enough-evidence') {
    throw new RolloutError(
      ErrorNames.QualityGateFailed,
      result.outcome === 'failed' ? 'QUALITY_FAILED' : 'NOT_ENOUGH_EVIDENCE',
      result.summary,
    );
  }
  return {
    done: true,
    record: {
      outcome: result.outcome,
      failures: [...result.failures],
      figures: result.figures,
      ...(result.override ? { override: result.override } : {}),
      summary: result.summary,
    },
  };
}
