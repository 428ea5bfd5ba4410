/**
 * Shared logic of DeployCanary and DeployFleet: deploy the model (and the inference component) to a
 * thing group, keeping the group's other components with their configuration and runWith; ROLLBACK on
 * failure; NOTIFY_COMPONENTS; timeouts; the fleet with an exponential rollout and abort criteria.
 * The group's previous deployment is recorded (UndoRollout redeploys it), and CreateDeployment carries a
 * client token derived from the execution and stage: a retried Lambda makes no second deployment, and
 * finds the same previous deployment (its own is skipped by name).
 */
import type { Logger } from 'pino';
import type { z } from 'zod';
import {
  deploymentClientToken,
  deploymentNameOf,
  planDeployment,
  type RolloutOptions,
} from '../domain/deployment-plan.ts';
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

/** What the client token is derived from: the execution, else (a manual invoke) the model package. */
export function executionKey(input: Pick<RolloutState, 'execution' | 'model'>): string | undefined {
  return input.execution?.id ?? (input.model ? `${input.model.arn}@${input.model.version}` : undefined);
}

export async function deployStage(
  stage: 'canary' | 'fleet',
  deps: DeployStageDeps,
  input: DeployInput,
  log: Logger,
): Promise<RolloutState> {
  const targetArn = await deps.deployments.thingGroupArn(deps.group);
  const name = deploymentNameOf(stage, input.model.name, input.component.version);
  // The group's deployment before ours: the newest one that is not ours (a retry finds ours first).
  const history = await deps.deployments.deploymentHistory(targetArn);
  const previousId = history.find((d) => d.deploymentName !== name)?.deploymentId;
  const previous = previousId ? await deps.deployments.getDeployment(previousId) : undefined;
  const key = executionKey(input);
  const request = planDeployment({
    targetArn,
    stage,
    modelName: input.model.name,
    modelVersion: input.component.version,
    current: previous?.components ?? {},
    inferenceVersion: deps.inferenceVersion ?? input.inferenceComponentVersion,
    clientToken: key ? deploymentClientToken(key, stage) : undefined,
    options: deps.options,
  });
  const { deploymentId } = await deps.deployments.createDeployment(request);
  log.info({ targetArn, deploymentId, components: request.components, previous: previousId }, 'deployment created');
  return {
    ...input,
    inferenceComponentVersion: request.components['com.edgeqc.Inference']?.componentVersion,
    [stage]: {
      group: deps.group,
      targetArn,
      deploymentId,
      ...(previousId ? { previousDeploymentId: previousId } : {}),
      startedAt: (deps.now?.() ?? new Date()).toISOString(),
      done: false,
      checks: 0,
    },
  };
}
