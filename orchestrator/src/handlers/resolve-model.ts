/**
 * ResolveModel: which model package to roll out. From an approval event, its ModelPackageArn (it must
 * still be Approved); on a manual start, the NEWEST Approved package of the group; none -> `found:
 * false`, and the state machine succeeds as a no-op. Rollouts of a group run one at a time (an earlier
 * RUNNING execution makes this one wait), and a version not newer than the one the fleet serves is
 * refused (ModelOutdatedError): an old version re-approved, or an older rollout that waited behind a
 * newer one, is never deployed.
 */
import { modelComponentName } from '@edgeqc/model-component/manifest';
import { MetadataKeys, modelRefOf, newestApproved } from '../domain/model-identity.ts';
import { earlierRunning, type RunningExecution } from '../domain/rollout-lock.ts';
import { type RolloutState, RolloutStateSchema, StepNames } from '../domain/rollout-state.ts';
import { refuseNotNewer } from '../domain/version-order.ts';
import { ErrorNames, RolloutError } from '../errors.ts';
import type { DeploymentService, ModelRegistry } from '../ports.ts';
import { awsConfig, awsDeploymentService, awsExecutions, awsModelRegistry } from './aws-wiring.ts';
import { defineStep, lambdaEntry } from './step.ts';

export interface ResolveModelDeps {
  readonly registry: ModelRegistry;
  /** The group a manual start resolves in when the input names none. */
  readonly defaultGroup?: string;
  /** Running executions of the state machine; when given (and the input has `execution`), no interleaving. */
  readonly executions?: { running(stateMachineArn: string): Promise<readonly RunningExecution[]> };
  /** The fleet group: a version not newer than the one its current deployment carries is refused. */
  readonly fleet?: { readonly deployments: DeploymentService; readonly group: string };
}

/** The model component's version in the fleet group's current deployment, or undefined. */
async function servedVersion(deps: ResolveModelDeps, modelName: string): Promise<string | undefined> {
  if (!deps.fleet) return undefined;
  const target = await deps.fleet.deployments.thingGroupArn(deps.fleet.group);
  const current = await deps.fleet.deployments.currentDeployment(target);
  return current?.components[modelComponentName(modelName)]?.componentVersion;
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
      refuseNotNewer(model, await servedVersion(deps, model.name));
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
    refuseNotNewer(model, await servedVersion(deps, model.name));
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
    fleet: { deployments: awsDeploymentService(), group: config.fleetGroup },
  });
});
