/**
 * VerifyCanary's check of every device (VerifyFleet checks a sample instead, see verify-fleet.ts; its
 * 'fleet' mode is the former check of every fleet device): per device, the effective deployment, the installed
 * component versions and the retained status (new model sha256, passing self-test); the stage is done,
 * still rolling out (`done: false`, the state machine waits and verifies again), or failed with a named
 * error listing the devices and why.
 */
import type { Logger } from 'pino';
import type { z } from 'zod';
import { assessBake, type BakeObservation, bakeBaseline } from '../domain/canary-bake.ts';
import { INFERENCE_COMPONENT } from '../domain/deployment-plan.ts';
import { assessDevice, type DeviceAssessment } from '../domain/device-assessment.ts';
import { ComponentRefSchema, type RolloutState, RolloutStateSchema, StageSchema } from '../domain/rollout-state.ts';
import { assessStage } from '../domain/stage-assessment.ts';
import { ErrorNames, RolloutError } from '../errors.ts';
import type { Clock, DeploymentService, FleetHealth } from '../ports.ts';
import { canaryGateStep, previousModelVersion, type QualityGateDeps } from './canary-gate-step.ts';
import { mapLimit } from './map-limit.ts';

export interface VerifyStageDeps {
  readonly deployments: DeploymentService;
  readonly health: FleetHealth;
  /** How long devices may take to report the new model, from the deployment's creation. */
  readonly timeoutSeconds: number;
  /** Fleet: failed-device percentage that fails the stage. Default 10. */
  readonly abortPercent?: number;
  /**
   * Canary: seconds every canary device must stay healthy, its heartbeat going on and its error counts
   * unchanged, once all serve the new model. Default 0 (no bake).
   */
  readonly bakeSeconds?: number;
  /**
   * Canary: the quality gate, judged once the bake is over (its `minBakeSeconds` lengthens the bake when
   * longer than `bakeSeconds`). Without it, no gate.
   */
  readonly gate?: QualityGateDeps;
  /** Devices checked at once (bounded to stay under API rate limits). Default 8. */
  readonly concurrency?: number;
  readonly now?: Clock;
}

export const VerifyInputSchema = RolloutStateSchema.extend({ component: ComponentRefSchema });
export type VerifyInput = z.infer<typeof VerifyInputSchema>;

export async function verifyStage(
  stageName: 'canary' | 'fleet',
  deps: VerifyStageDeps,
  input: VerifyInput,
  log: Logger,
): Promise<RolloutState> {
  const parsed = StageSchema.safeParse(input[stageName]);
  if (!parsed.success) {
    throw new RolloutError(
      ErrorNames.InvalidInput,
      'NO_STAGE',
      `input has no ${stageName} deployment (run Deploy${stageName === 'canary' ? 'Canary' : 'Fleet'} first)`,
    );
  }
  const stage = parsed.data;
  const expectedComponents: Record<string, string> = { [input.component.name]: input.component.version };
  if (input.inferenceComponentVersion) expectedComponents[INFERENCE_COMPONENT] = input.inferenceComponentVersion;
  const expected = {
    deploymentId: stage.deploymentId,
    components: expectedComponents,
    modelSha256: input.component.modelSha256,
  };

  const things = await deps.deployments.groupMembers(stage.group);
  const observed: { assessment: DeviceAssessment; observation: BakeObservation }[] = await mapLimit(
    things,
    deps.concurrency ?? 8,
    async (thingName) => {
      const [effectiveDeployments, installedComponents, status] = await Promise.all([
        deps.deployments.listEffectiveDeployments(thingName),
        deps.deployments.listInstalledComponents(thingName),
        deps.health.retainedStatus(thingName),
      ]);
      return {
        assessment: assessDevice({ thingName, effectiveDeployments, installedComponents, status }, expected),
        observation: { thingName, status },
      };
    },
  );
  const assessments = observed.map((o) => o.assessment);
  const deployment = stageName === 'fleet' ? await deps.deployments.getDeployment(stage.deploymentId) : undefined;
  const now = deps.now?.() ?? new Date();
  const decision = assessStage(assessments, {
    stage: stageName,
    now,
    deadline: new Date(Date.parse(stage.startedAt) + deps.timeoutSeconds * 1000),
    abortPercent: deps.abortPercent,
    deploymentStatus: deployment?.status,
  });
  log.info(
    {
      stage: stageName,
      outcome: decision.outcome,
      healthy: decision.healthy,
      pending: decision.pending,
      failed: decision.failed,
    },
    'stage verified',
  );
  if (decision.outcome === 'failed') {
    throw new RolloutError(
      decision.errorName ?? ErrorNames.CanaryUnhealthy,
      decision.outcome.toUpperCase(),
      decision.summary,
    );
  }
  const next = { ...stage, checks: stage.checks + 1, devices: things.length, summary: decision.summary };
  const gate = stageName === 'canary' ? deps.gate : undefined;
  const bakeSeconds = stageName === 'canary' ? Math.max(deps.bakeSeconds ?? 0, gate?.config.minBakeSeconds ?? 0) : 0;
  if (decision.outcome !== 'done' || (bakeSeconds <= 0 && !gate)) {
    return { ...input, [stageName]: { ...next, done: decision.outcome === 'done' } };
  }
  // Every canary device serves the new model: the bake begins, or goes on.
  const observations = observed.map((o) => o.observation);
  if (!stage.bake) {
    const baselineVersion = gate
      ? await previousModelVersion(deps.deployments, stage, input.component.name)
      : undefined;
    const bake = { since: now.toISOString(), devices: bakeBaseline(observations), baselineVersion };
    log.info({ stage: stageName, bakeSeconds, baselineVersion }, 'canary bake begins');
    return {
      ...input,
      [stageName]: { ...next, done: false, bake, summary: `${decision.summary}; baking for ${bakeSeconds} s` },
    };
  }
  const bake = assessBake(stage.bake.devices, observations, { since: new Date(stage.bake.since), bakeSeconds, now });
  log.info({ stage: stageName, bake: bake.outcome }, 'canary bake checked');
  if (bake.outcome === 'failed') throw new RolloutError(ErrorNames.CanaryUnhealthy, 'BAKE_FAILED', bake.summary);
  const pastDeadline = now.getTime() > Date.parse(stage.startedAt) + deps.timeoutSeconds * 1000;
  if (bake.outcome === 'baking' && pastDeadline) {
    throw new RolloutError(
      ErrorNames.CanaryTimeout,
      'BAKE_TIMEOUT',
      `the canary bake did not end in time: ${bake.summary}`,
    );
  }
  if (bake.outcome === 'baking' || !gate) {
    return {
      ...input,
      [stageName]: { ...next, done: bake.outcome === 'done', summary: `${decision.summary}; ${bake.summary}` },
    };
  }
  // The bake is over and the canary held: the quality gate judges how the new model behaves.
  const judged = await canaryGateStep(gate, {
    deployments: deps.deployments,
    stage,
    things,
    model: { name: input.component.name, version: input.component.version, sha256: input.component.modelSha256 },
    override: input.qualityGateOverride,
    bakeEnd: new Date(Date.parse(stage.bake.since) + bakeSeconds * 1000),
    pastDeadline,
    log,
  });
  if (!judged.done) {
    return { ...input, [stageName]: { ...next, done: false, summary: `${decision.summary}; ${judged.summary}` } };
  }
  return {
    ...input,
    qualityGate: judged.record,
    [stageName]: {
      ...next,
      done: true,
      summary: `${decision.summary}; ${bake.summary}; quality gate ${judged.record.outcome}`,
    },
  };
}
