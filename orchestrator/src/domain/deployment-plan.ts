/**
 * What a rollout deploys to a thing group: the group's current components, with the model component at
 * the new version and the inference component at the configured (or current) version. Pure.
 */
import { modelComponentName } from '@edgeqc/model-component/manifest';
import { ErrorNames, RolloutError } from '../errors.ts';
import type { ComponentSpec, DeploymentPolicies, DeploymentRequest, JobConfiguration } from '../ports.ts';

export const INFERENCE_COMPONENT = 'com.edgeqc.Inference';
export const MODEL_COMPONENT_PREFIX = 'com.edgeqc.Model.';

export interface PlanInput {
  readonly targetArn: string;
  readonly stage: 'canary' | 'fleet';
  readonly modelName: string;
  readonly modelVersion: string;
  /** Components of the group's current deployment ({} when it has none). */
  readonly current: Readonly<Record<string, ComponentSpec>>;
  /** Inference component version to deploy; default: the one the group runs now. */
  readonly inferenceVersion?: string;
  readonly options?: Partial<RolloutOptions>;
}

export interface RolloutOptions {
  /** Seconds components get to acknowledge an update (NOTIFY_COMPONENTS). */
  readonly componentUpdateTimeoutSeconds: number;
  readonly configurationValidationTimeoutSeconds: number;
  /** Per-device job timeout. */
  readonly deviceTimeoutMinutes: number;
  /** Fleet: abort when this percentage of executed devices failed or timed out. */
  readonly fleetAbortPercent: number;
  /** Fleet: devices that must have executed before the abort criteria apply. */
  readonly fleetAbortMinDevices: number;
  readonly fleetBaseRatePerMinute: number;
  readonly fleetIncrementFactor: number;
  readonly fleetRateIncreaseAfterSucceeded: number;
}

export const DEFAULT_ROLLOUT_OPTIONS: RolloutOptions = Object.freeze({
  componentUpdateTimeoutSeconds: 60,
  configurationValidationTimeoutSeconds: 30,
  deviceTimeoutMinutes: 30,
  fleetAbortPercent: 10,
  fleetAbortMinDevices: 2,
  fleetBaseRatePerMinute: 2,
  fleetIncrementFactor: 2,
  fleetRateIncreaseAfterSucceeded: 2,
});

export function deploymentPolicies(o: RolloutOptions): DeploymentPolicies {
  return {
    failureHandlingPolicy: 'ROLLBACK',
    componentUpdatePolicy: { action: 'NOTIFY_COMPONENTS', timeoutInSeconds: o.componentUpdateTimeoutSeconds },
    configurationValidationPolicy: { timeoutInSeconds: o.configurationValidationTimeoutSeconds },
  };
}

export function jobConfiguration(stage: 'canary' | 'fleet', o: RolloutOptions): JobConfiguration {
  if (stage === 'canary') return { timeoutInMinutes: o.deviceTimeoutMinutes };
  if (!(o.fleetAbortPercent > 0 && o.fleetAbortPercent <= 100)) {
    throw new RolloutError(
      ErrorNames.Config,
      'ABORT_PERCENT',
      `fleet abort percentage ${o.fleetAbortPercent}: expected 0 < p <= 100`,
    );
  }
  return {
    timeoutInMinutes: o.deviceTimeoutMinutes,
    rollout: {
      exponentialRate: {
        baseRatePerMinute: o.fleetBaseRatePerMinute,
        incrementFactor: o.fleetIncrementFactor,
        rateIncreaseCriteria: { numberOfSucceededThings: o.fleetRateIncreaseAfterSucceeded },
      },
    },
    abort: (['FAILED', 'TIMED_OUT', 'REJECTED'] as const).map((failureType) => ({
      failureType,
      action: 'CANCEL' as const,
      thresholdPercentage: o.fleetAbortPercent,
      minNumberOfExecutedThings: o.fleetAbortMinDevices,
    })),
  };
}

/** The deployment request: every component of the group's deployment, the new model in it. */
export function planDeployment(input: PlanInput): DeploymentRequest {
  const o = { ...DEFAULT_ROLLOUT_OPTIONS, ...input.options };
  const model = modelComponentName(input.modelName);
  const inferenceVersion = input.inferenceVersion ?? input.current[INFERENCE_COMPONENT]?.componentVersion;
  if (!inferenceVersion) {
    throw new RolloutError(
      ErrorNames.DeploymentRejected,
      'NO_INFERENCE_COMPONENT',
      `the ${input.stage} group runs no ${INFERENCE_COMPONENT} and none is configured: publish it (npm run edgeqc -- package-agent) and set its version`,
    );
  }
  const components: Record<string, ComponentSpec> = {};
  for (const [name, spec] of Object.entries(input.current)) {
    // Another model of the same name at an older version is replaced; other components are kept as they are.
    if (name === model || name === INFERENCE_COMPONENT) continue;
    components[name] = { componentVersion: spec.componentVersion };
  }
  components[model] = { componentVersion: input.modelVersion };
  components[INFERENCE_COMPONENT] = { componentVersion: inferenceVersion };
  return {
    targetArn: input.targetArn,
    deploymentName: `edgeqc-${input.stage}-${input.modelName}-${input.modelVersion}`,
    components,
    policies: deploymentPolicies(o),
    jobConfiguration: jobConfiguration(input.stage, o),
    tags: { 'edgeqc:stage': input.stage, 'edgeqc:model': `${input.modelName}@${input.modelVersion}` },
  };
}
