/**
 * Shared logic of DeployCanary and DeployFleet: deploy the model (and the inference component) to a
 * thing group, keeping the group's other components; ROLLBACK on failure; NOTIFY_COMPONENTS; timeouts;
 * the fleet with an exponential rollout and abort criteria.
 */
import type { Logger } from 'pino';
import type { z } from 'zod';
import { planDeployment, type RolloutOptions } from '../domain/deployment-plan.ts';
import { ComponentRefSchema, ModelRefSchema, type RolloutState, RolloutStateSchema } from '../domain/rollout-state.ts';
import type { Clock, DeploymentService } from '../ports.ts';

export interface DeployStageDeps {
  readonly deployments: DeploymentService;
  /** Thing group name (default `canary` / `fleet`). */
  readonly group: string;
  /** com.edgeqc.Inference version; default: the version the group runs now. */
  readonly inferenceVersion?: string;
  readonly options?: Partial<RolloutOptions>;
  readonly now?: Clock;
}

export const DeployInputSchema = RolloutStateSchema.extend({ model: ModelRefSchema, component: ComponentRefSchema });
export type DeployInput = z.infer<typeof DeployInputSchema>;

export async function deployStage(
  stage: 'canary' | 'fleet',
  deps: DeployStageDeps,
  input: DeployInput,
  log: Logger,
): Promise<RolloutState> {
  const targetArn = await deps.deployments.thingGroupArn(deps.group);
  const current = await deps.deployments.currentDeployment(targetArn);
  const request = planDeployment({
    targetArn,
    stage,
    modelName: input.model.name,
    modelVersion: input.component.version,
    current: current?.components ?? {},
    inferenceVersion: deps.inferenceVersion ?? input.inferenceComponentVersion,
    options: deps.options,
  });
  const { deploymentId } = await deps.deployments.createDeployment(request);
  log.info(
    { targetArn, deploymentId, components: request.components, replaced: current?.deploymentId },
    'deployment created',
  );
  return {
    ...input,
    inferenceComponentVersion: request.components['com.edgeqc.Inference']?.componentVersion,
    [stage]: {
      group: deps.group,
      targetArn,
      deploymentId,
      startedAt: (deps.now?.() ?? new Date()).toISOString(),
      done: false,
      checks: 0,
    },
  };
}
