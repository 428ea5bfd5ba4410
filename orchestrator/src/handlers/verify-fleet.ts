/**
 * VerifyFleet: does the fleet serve the new model? A check costs about the same at 10 devices and at
 * 100,000 (see domain/fleet-check.ts): GetDeployment and the deployment's IoT job counts (DescribeJob),
 * and the deep per-device check (effective deployment, installed components, retained status) of a
 * bounded random sample, drawn on the first check from the group's members and kept in the state.
 */
import type { Logger } from 'pino';
import { INFERENCE_COMPONENT } from '../domain/deployment-plan.ts';
import { assessDevice, type DeviceAssessment, type Expected } from '../domain/device-assessment.ts';
import { assessFleet, drawSample, type FleetBehaviour, sumBehaviour } from '../domain/fleet-check.ts';
import { type RolloutState, StageSchema, StepNames } from '../domain/rollout-state.ts';
import { ErrorNames, RolloutError } from '../errors.ts';
import type { BehaviourSource, Clock, DeploymentJobs, DeploymentService, FleetHealth } from '../ports.ts';
import {
  awsBehaviourSource,
  awsConfig,
  awsDeploymentJobs,
  awsDeploymentService,
  awsFleetHealth,
} from './aws-wiring.ts';
import { mapLimit } from './map-limit.ts';
import { defineStep, lambdaEntry } from './step.ts';
import { type VerifyInput, VerifyInputSchema } from './verify-stage.ts';

/** Devices checked deeply per check, by default: see orchestrator/README.md for why this many. */
export const DEFAULT_FLEET_SAMPLE_SIZE = 50;

export interface VerifyFleetDeps {
  readonly deployments: DeploymentService;
  readonly health: FleetHealth;
  readonly jobs: DeploymentJobs;
  /** The sampled devices' metrics under the new model (one read per check). Default: not read. */
  readonly behaviour?: BehaviourSource;
  /** How long the fleet may take, from the deployment's creation. */
  readonly timeoutSeconds: number;
  /** Failed-device percentage that fails the fleet. Default 10. */
  readonly abortPercent?: number;
  /** Devices drawn for the deep check (all of them when the group is smaller). Default 50. */
  readonly sampleSize?: number;
  /** Sampled devices checked at once (bounded to stay under API rate limits). Default 8. */
  readonly concurrency?: number;
  /** [0, 1); default Math.random. */
  readonly random?: () => number;
  readonly now?: Clock;
}

export async function verifyFleet(deps: VerifyFleetDeps, input: VerifyInput, log: Logger): Promise<RolloutState> {
  const parsed = StageSchema.safeParse(input.fleet);
  if (!parsed.success) {
    throw new RolloutError(
      ErrorNames.InvalidInput,
      'NO_STAGE',
      'input has no fleet deployment (run DeployFleet first)',
    );
  }
  const stage = parsed.data;
  const components: Record<string, string> = { [input.component.name]: input.component.version };
  if (input.inferenceComponentVersion) components[INFERENCE_COMPONENT] = input.inferenceComponentVersion;
  const expected: Expected = { deploymentId: stage.deploymentId, components, modelSha256: input.component.modelSha256 };

  const deployment = await deps.deployments.getDeployment(stage.deploymentId);
  if (!deployment.iotJobId) {
    throw new RolloutError(
      ErrorNames.InvalidInput,
      'NO_IOT_JOB',
      `fleet deployment ${stage.deploymentId} has no IoT job: a thing-group deployment always has one`,
    );
  }
  let { sample, devices } = stage;
  if (!sample || devices === undefined) {
    const members = await deps.deployments.groupMembers(stage.group);
    sample = drawSample(members, deps.sampleSize ?? DEFAULT_FLEET_SAMPLE_SIZE, deps.random ?? Math.random);
    devices = members.length;
  }
  const job = await deps.jobs.jobProgress(deployment.iotJobId);
  const assessed: DeviceAssessment[] = await mapLimit(sample, deps.concurrency ?? 8, async (thingName) => {
    const [effectiveDeployments, installedComponents, status] = await Promise.all([
      deps.deployments.listEffectiveDeployments(thingName),
      deps.deployments.listInstalledComponents(thingName),
      deps.health.retainedStatus(thingName),
    ]);
    return assessDevice({ thingName, effectiveDeployments, installedComponents, status }, expected);
  });
  let behaviour: FleetBehaviour | undefined;
  if (deps.behaviour && sample.length > 0) {
    const modelVersion = input.model?.version ?? input.component.version;
    const got = await deps.behaviour.latest({ thingNames: sample, modelVersions: [modelVersion] });
    behaviour = sumBehaviour(got.messages, got.rejected);
  }
  const decision = assessFleet(
    { deploymentStatus: deployment.status, jobCounts: job.counts, groupSize: devices, sample: assessed, behaviour },
    {
      now: deps.now?.() ?? new Date(),
      deadline: new Date(Date.parse(stage.startedAt) + deps.timeoutSeconds * 1000),
      abortPercent: deps.abortPercent ?? 10,
    },
  );
  log.info(
    {
      stage: 'fleet',
      outcome: decision.outcome,
      devices,
      sampled: sample.length,
      job: job.counts,
      jobFailed: decision.jobFailed,
      sampleFailed: decision.sampleFailed,
    },
    'fleet verified',
  );
  if (decision.outcome === 'failed') {
    throw new RolloutError(decision.errorName ?? ErrorNames.FleetUnhealthy, 'FAILED', decision.summary);
  }
  return {
    ...input,
    fleet: {
      ...stage,
      checks: stage.checks + 1,
      devices,
      sample,
      summary: decision.summary,
      done: decision.outcome === 'done',
    },
  };
}

export function createVerifyFleetHandler(deps: VerifyFleetDeps) {
  return defineStep(StepNames.VerifyFleet, VerifyInputSchema, (input, log) => verifyFleet(deps, input, log));
}

export const handler = lambdaEntry(() => {
  const c = awsConfig();
  return createVerifyFleetHandler({
    deployments: awsDeploymentService(),
    health: awsFleetHealth(c),
    jobs: awsDeploymentJobs(),
    ...(c.metricsTable ? { behaviour: awsBehaviourSource(c) } : {}),
    timeoutSeconds: c.fleetTimeoutSeconds,
    abortPercent: c.fleetAbortPercent,
  });
});
