/**
 * ResolveModel: which model package to roll out. From an approval event, its ModelPackageArn (it must
 * still be Approved); on a manual start, the NEWEST Approved package of the group; none -> `found:
 * false`, and the state machine succeeds as a no-op.
 */
import { MetadataKeys, modelRefOf, newestApproved } from '../domain/model-identity.ts';
import { earlierRunning, type RunningExecution } from '../domain/rollout-lock.ts';
import { type RolloutState, RolloutStateSchema, StepNames } from '../domain/rollout-state.ts';
import { ErrorNames, RolloutError } from '../errors.ts';
import type { ModelRegistry } from '../ports.ts';
import { awsConfig, awsExecutions, awsModelRegistry } from './aws-wiring.ts';
import { defineStep, lambdaEntry } from './step.ts';

export interface ResolveModelDeps {
  readonly registry: ModelRegistry;
  /** The group a manual start resolves in when the input names none. */
  readonly defaultGroup?: string;
  /** Running executions of the state machine; when given (and the input has `execution`), no interleaving. */
  readonly executions?: { running(stateMachineArn: string): Promise<readonly RunningExecution[]> };
}

export function createResolveModelHandler(deps: ResolveModelDeps) {
  return defineStep(StepNames.ResolveModel, RolloutStateSchema, async (input, log): Promise<RolloutState> => {
    if (deps.executions && input.execution) {
      const self = { arn: input.execution.id, startedAt: new Date(input.execution.startTime ?? Date.now()) };
      const earlier = earlierRunning(self, await deps.executions.running(input.execution.stateMachine));
      if (earlier.length > 0) {
        throw new RolloutError(
          ErrorNames.RolloutBusy,
          'ROLLOUT_IN_PROGRESS',
          `an earlier rollout of this model group is still running (${earlier.map((e) => e.arn).join(', ')}): waiting for it`,
        );
      }
    }
    const arn = input.modelPackageArn ?? input.detail?.ModelPackageArn;
    if (arn) {
      const pkg = await deps.registry.describe(arn);
      if (pkg.approvalStatus !== 'Approved') {
        throw new RolloutError(
          ErrorNames.ModelNotApproved,
          'NOT_APPROVED',
          `model package ${arn} is ${pkg.approvalStatus}, not Approved`,
        );
      }
      const model = modelRefOf(pkg);
      log.info({ arn, version: model.version }, 'model from event');
      return { ...input, modelPackageArn: arn, modelPackageGroupName: pkg.group, found: true, model };
    }
    const group = input.modelPackageGroupName ?? input.detail?.ModelPackageGroupName ?? deps.defaultGroup;
    if (!group) {
      throw new RolloutError(
        ErrorNames.InvalidInput,
        'NO_MODEL',
        'the input names no modelPackageArn and no modelPackageGroupName, and no default group is configured',
      );
    }
    const newest = newestApproved(await deps.registry.list(group, { approvalStatus: 'Approved', maxResults: 10 }));
    if (!newest) {
      log.info({ group }, 'no approved model package: nothing to roll out');
      return { ...input, modelPackageGroupName: group, found: false };
    }
    const model = modelRefOf(newest);
    log.info(
      { arn: newest.arn, version: model.version, sha256: newest.metadata[MetadataKeys.sha256] },
      'newest approved',
    );
    return { ...input, modelPackageArn: newest.arn, modelPackageGroupName: group, found: true, model };
  });
}

export const handler = lambdaEntry(() => {
  const config = awsConfig();
  return createResolveModelHandler({
    registry: awsModelRegistry(),
    defaultGroup: config.modelPackageGroup,
    executions: awsExecutions(),
  });
});
