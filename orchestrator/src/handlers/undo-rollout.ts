/**
 * UndoRollout: every failure after ResolveModel comes here (before NotifyFailure). For each stage whose
 * deployment was created (the fleet first, then the canary): cancel it, so devices that have not applied
 * it never will, and redeploy the group's previous deployment (same components, configuration and
 * runWith), so devices that did apply it go back. A group without a previous deployment is only
 * canceled, and the notification says so. Client tokens from the execution: a retry redeploys once.
 */
import type { Logger } from 'pino';
import { deploymentClientToken, type RolloutOptions, restorePlan } from '../domain/deployment-plan.ts';
import {
  type RolloutState,
  RolloutStateSchema,
  type Stage,
  StageSchema,
  StepNames,
  type UndoStage,
} from '../domain/rollout-state.ts';
import { ErrorNames, isRetryable, RolloutError } from '../errors.ts';
import type { DeploymentService } from '../ports.ts';
import { awsDeploymentService } from './aws-wiring.ts';
import { executionKey } from './deploy-stage.ts';
import { defineStep, lambdaEntry } from './step.ts';

export interface UndoRolloutDeps {
  readonly deployments: DeploymentService;
  readonly options?: Partial<RolloutOptions>;
}

async function undoStage(
  stageName: 'canary' | 'fleet',
  stage: Stage,
  deps: UndoRolloutDeps,
  key: string | undefined,
  log: Logger,
): Promise<UndoStage> {
  await deps.deployments.cancelDeployment(stage.deploymentId);
  const out: UndoStage = { group: stage.group, canceledDeploymentId: stage.deploymentId };
  if (!stage.previousDeploymentId) {
    log.warn({ stage: stageName, canceled: stage.deploymentId }, 'canceled; the group had no previous deployment');
    return out;
  }
  const previous = await deps.deployments.getDeployment(stage.previousDeploymentId);
  const request = restorePlan({
    targetArn: stage.targetArn,
    stage: stageName,
    previous,
    clientToken: key ? deploymentClientToken(key, `undo-${stageName}`) : undefined,
    options: deps.options,
  });
  const { deploymentId } = await deps.deployments.createDeployment(request);
  log.info(
    { stage: stageName, canceled: stage.deploymentId, restored: previous.deploymentId, deploymentId },
    'canceled and redeployed the previous deployment',
  );
  return { ...out, previousDeploymentId: previous.deploymentId, restoredDeploymentId: deploymentId };
}

export function createUndoRolloutHandler(deps: UndoRolloutDeps) {
  return defineStep(StepNames.UndoRollout, RolloutStateSchema, async (input, log): Promise<RolloutState> => {
    const undo: NonNullable<RolloutState['undo']> = {};
    const key = executionKey(input);
    for (const stageName of ['fleet', 'canary'] as const) {
      const parsed = StageSchema.safeParse(input[stageName]);
      if (!parsed.success) continue;
      try {
        undo[stageName] = await undoStage(stageName, parsed.data, deps, key, log);
      } catch (err) {
        // Transient errors are retried by the state machine (the client tokens make that safe).
        if (isRetryable(err)) throw err;
        throw new RolloutError(
          ErrorNames.UndoFailed,
          'UNDO_FAILED',
          `undoing the ${stageName} deployment ${parsed.data.deploymentId} failed: ${(err as Error).message}`,
          { cause: err },
        );
      }
    }
    return { ...input, undo };
  });
}

export const handler = lambdaEntry(() => createUndoRolloutHandler({ deployments: awsDeploymentService() }));
