/**
 * What a rollout deploys to a thing group: the group's current components (each with its
 * configurationUpdate and runWith), with the model component at the new version and the inference
 * component at the configured (or current) version; and what undoes it: the previous deployment's
 * components again. Pure.
 */
import { createHash } from 'node:crypto';
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
  /** CreateDeployment's idempotency token (see deploymentClientToken). */
  readonly clientToken?: string;
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
  // Every component keeps its configurationUpdate and runWith; only the versions of the model and the
  // inference component change (the same model name at an older version is replaced).
  const components: Record<string, ComponentSpec> = {};
  for (const [name, spec] of Object.entries(input.current)) components[name] = copySpec(spec);
  components[model] = { ...components[model], componentVersion: input.modelVersion };
  components[INFERENCE_COMPONENT] = { ...components[INFERENCE_COMPONENT], componentVersion: inferenceVersion };
  return {
    targetArn: input.targetArn,
    deploymentName: deploymentNameOf(input.stage, input.modelName, input.modelVersion),
    components,
    policies: deploymentPolicies(o),
    jobConfiguration: jobConfiguration(input.stage, o),
    tags: { 'edgeqc:stage': input.stage, 'edgeqc:model': `${input.modelName}@${input.modelVersion}` },
    ...(input.clientToken ? { clientToken: input.clientToken } : {}),
  };
}

export function deploymentNameOf(stage: 'canary' | 'fleet', modelName: string, modelVersion: string): string {
  return `edgeqc-${stage}-${modelName}-${modelVersion}`;
}

function copySpec(spec: ComponentSpec): ComponentSpec {
  return {
    componentVersion: spec.componentVersion,
    ...(spec.configurationUpdate
      ? {
          configurationUpdate: {
            ...(spec.configurationUpdate.merge !== undefined ? { merge: spec.configurationUpdate.merge } : {}),
            ...(spec.configurationUpdate.reset ? { reset: [...spec.configurationUpdate.reset] } : {}),
          },
        }
      : {}),
    ...(spec.runWith
      ? {
          runWith: {
            ...spec.runWith,
            ...(spec.runWith.systemResourceLimits
              ? { systemResourceLimits: { ...spec.runWith.systemResourceLimits } }
              : {}),
          },
        }
      : {}),
  };
}

/**
 * CreateDeployment's client token for one execution and one purpose (`canary`, `fleet`, `undo-fleet`,
 * ...): the same execution retrying the same step sends the same token, so Greengrass returns the
 * deployment it already made. 64 hex characters (the API allows 1-64 of [a-zA-Z0-9-]).
 */
export function deploymentClientToken(executionId: string, purpose: string): string {
  return createHash('sha256').update(`${executionId}\n${purpose}`).digest('hex');
}

/**
 * The deployment that puts a group back on its previous deployment: the same components, configuration
 * and runWith, ROLLBACK on failure, no staged rollout (the previous release is known good).
 */
export function restorePlan(input: {
  readonly targetArn: string;
  readonly stage: 'canary' | 'fleet';
  readonly previous: { readonly deploymentId: string; readonly components: Readonly<Record<string, ComponentSpec>> };
  readonly clientToken?: string;
  readonly options?: Partial<RolloutOptions>;
}): DeploymentRequest {
  const o = { ...DEFAULT_ROLLOUT_OPTIONS, ...input.options };
  return {
    targetArn: input.targetArn,
    deploymentName: `edgeqc-${input.stage}-restore-${input.previous.deploymentId}`.slice(0, 256),
    components: Object.fromEntries(Object.entries(input.previous.components).map(([n, s]) => [n, copySpec(s)])),
    policies: deploymentPolicies(o),
    jobConfiguration: { timeoutInMinutes: o.deviceTimeoutMinutes },
    tags: { 'edgeqc:stage': input.stage, 'edgeqc:restores': input.previous.deploymentId },
    ...(input.clientToken ? { clientToken: input.clientToken } : {}),
  };
}
