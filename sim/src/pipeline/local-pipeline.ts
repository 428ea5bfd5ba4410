/**
 * The rollout pipeline on one machine: the state machine definition the CDK app synthesizes (given by
 * the caller, from infra's synthPipelineTemplate), its Lambda ARNs resolved to the state machine's Task
 * states, every Task bound to the same create<Step>Handler code as in AWS, over the local adapters.
 */
import { type StepName, StepNames } from '@edgeqc/orchestrator/domain';
import {
  createCheckDeployableHandler,
  createCreateComponentVersionHandler,
  createDeployCanaryHandler,
  createDeployFleetHandler,
  createNotifyFailureHandler,
  createNotifyHandler,
  createPackageModelHandler,
  createResolveModelHandler,
  createUndoRolloutHandler,
  createVerifyCanaryHandler,
  createVerifyFleetHandler,
} from '@edgeqc/orchestrator/handler-factories';
import type { ArtifactStore, Signer } from '@edgeqc/orchestrator/ports';
import { type QualityGateConfig, qualityGateConfig } from '@edgeqc/orchestrator/quality-gate';
import { LocalBehaviourSource } from '../adapters/local-behaviour-source.ts';
import { LocalDeploymentService } from '../adapters/local-deployment-service.ts';
import { LocalFleetHealth } from '../adapters/local-fleet-health.ts';
import { LocalNotifier } from '../adapters/local-notifier.ts';
import { LocalModeError } from '../errors.ts';
import type { LocalWorld } from '../fleet/local-world.ts';
import type { RolloutPipeline } from '../rollout-demo/rollout-scenario.ts';
import { type CfnTemplate, LOCAL_ACCOUNT_ID, resolveIntrinsics } from '../runner/cfn-intrinsics.ts';
import { type AslMachine, type LocalTaskHandler, runLocalExecution, taskBindings } from '../runner/local-execution.ts';

export interface LocalPipelineOptions {
  readonly world: LocalWorld;
  /** The synthesized CloudFormation template of the pipeline stack. */
  readonly template: CfnTemplate;
  /** Reads the state machine definition out of the template (infra's stateMachineDefinitionFrom). */
  readonly definitionFrom: (template: CfnTemplate) => unknown;
  readonly signer: Signer;
  /** Default: the world's artifact store. */
  readonly store?: ArtifactStore;
  readonly bucket: string;
  readonly modelPackageGroup: string;
  readonly inferenceComponentVersion: string;
  readonly canaryGroup?: string;
  readonly fleetGroup?: string;
  readonly canaryTimeoutSeconds?: number;
  /** The canary bake (seconds all canary devices must hold once healthy). Default 2: short, locally. */
  readonly canaryBakeSeconds?: number;
  /**
   * The canary's quality gate over the devices' metrics on the local broker (its minimum bake time is
   * `canaryBakeSeconds`). Default: no gate (the devices' agents must publish metrics often for one).
   */
  readonly qualityGate?: Partial<Omit<QualityGateConfig, 'minBakeSeconds'>>;
  readonly fleetTimeoutSeconds?: number;
  /** Every Wait state waits this long instead. Default 250 ms. */
  readonly waitMs?: number;
  readonly retryIntervalMs?: number;
  readonly onNotification?: (subject: string, message: string) => void;
  readonly onState?: (event: { type: string; stateName?: string; error?: string; cause?: unknown }) => void;
}

/** The definition as an object, every CloudFormation intrinsic resolved to local values. */
export function localDefinition(
  template: CfnTemplate,
  definitionFrom: (t: CfnTemplate) => unknown,
  region: string,
): AslMachine {
  let raw = resolveIntrinsics(definitionFrom(template), template, { region, accountId: LOCAL_ACCOUNT_ID });
  if (typeof raw === 'string') raw = JSON.parse(raw);
  const machine = raw as AslMachine;
  if (!machine || typeof machine !== 'object' || typeof machine.StartAt !== 'string' || !machine.States) {
    throw new LocalModeError('DEFINITION_INVALID', 'the synthesized state machine definition has no StartAt/States');
  }
  return machine;
}

export function createLocalPipeline(o: LocalPipelineOptions): RolloutPipeline & { readonly definition: AslMachine } {
  const { world } = o;
  const definition = localDefinition(o.template, o.definitionFrom, world.region);
  const store = o.store ?? world.store;
  const deployments = new LocalDeploymentService(world.fleet);
  const health = new LocalFleetHealth(world.observer);
  const canaryGroup = o.canaryGroup ?? 'canary';
  const fleetGroup = o.fleetGroup ?? 'fleet';
  const gate = o.qualityGate
    ? {
        behaviour: new LocalBehaviourSource(world.observer),
        config: qualityGateConfig({ ...o.qualityGate, minBakeSeconds: o.canaryBakeSeconds ?? 2 }, 'qualityGate'),
        fleetGroup,
      }
    : undefined;

  const byStep: Record<StepName, (notifier: LocalNotifier) => LocalTaskHandler> = {
    [StepNames.ResolveModel]: () =>
      createResolveModelHandler({
        registry: world.registry,
        defaultGroup: o.modelPackageGroup,
        fleet: { deployments, group: fleetGroup },
      }),
    [StepNames.PackageModel]: () =>
      createPackageModelHandler({ registry: world.registry, store, signer: o.signer, bucket: o.bucket }),
    [StepNames.CreateComponentVersion]: () => createCreateComponentVersionHandler({ store, catalog: world.catalog }),
    [StepNames.CheckDeployable]: () => createCheckDeployableHandler({ catalog: world.catalog }),
    [StepNames.DeployCanary]: () =>
      createDeployCanaryHandler({ deployments, group: canaryGroup, inferenceVersion: o.inferenceComponentVersion }),
    [StepNames.VerifyCanary]: () =>
      createVerifyCanaryHandler({
        deployments,
        health,
        timeoutSeconds: o.canaryTimeoutSeconds ?? 300,
        bakeSeconds: o.canaryBakeSeconds ?? 2,
        gate,
      }),
    [StepNames.DeployFleet]: () =>
      createDeployFleetHandler({ deployments, group: fleetGroup, inferenceVersion: o.inferenceComponentVersion }),
    [StepNames.VerifyFleet]: () =>
      createVerifyFleetHandler({
        deployments,
        health,
        jobs: deployments,
        timeoutSeconds: o.fleetTimeoutSeconds ?? 300,
      }),
    [StepNames.UndoRollout]: () => createUndoRolloutHandler({ deployments }),
    [StepNames.Notify]: (notifier) => createNotifyHandler({ notifier }),
    [StepNames.NotifyFailure]: (notifier) => createNotifyFailureHandler({ notifier }),
  };

  // Each Task state invokes one Lambda function; bind that function to the handler of the state's step.
  const bindings = taskBindings(definition);
  const functionStep = new Map<string, StepName>();
  for (const b of bindings) {
    if (!b.functionId) {
      throw new LocalModeError(
        'TASK_UNBOUND',
        `Task state '${b.stateName}' invokes no Lambda function: nothing to bind locally`,
      );
    }
    if (!(b.stateName in byStep)) {
      throw new LocalModeError(
        'TASK_UNKNOWN',
        `Task state '${b.stateName}' is not a step this workspace has a handler for (${Object.keys(byStep).join(', ')})`,
      );
    }
    const before = functionStep.get(b.functionId);
    if (before && before !== b.stateName) {
      throw new LocalModeError('TASK_AMBIGUOUS', `function ${b.functionId} backs both ${before} and ${b.stateName}`);
    }
    functionStep.set(b.functionId, b.stateName as StepName);
  }

  return {
    definition,
    async run(modelPackageArn, executionName) {
      const notifier = new LocalNotifier((n) => o.onNotification?.(n.subject, n.message));
      const functions = Object.fromEntries([...functionStep].map(([fn, step]) => [fn, byStep[step](notifier)]));
      const execution = await runLocalExecution(
        // What the EventBridge rule passes: the SageMaker Model Package State Change event.
        {
          'detail-type': 'SageMaker Model Package State Change',
          source: 'aws.sagemaker',
          detail: {
            ModelPackageArn: modelPackageArn,
            ModelPackageGroupName: o.modelPackageGroup,
            ModelApprovalStatus: 'Approved',
          },
        },
        {
          definition,
          functions,
          waitMs: o.waitMs ?? 250,
          retryIntervalMs: o.retryIntervalMs ?? 50,
          executionName,
          onEvent: o.onState,
        },
      );
      return { execution, notifications: notifier.notifications.map((n) => `${n.subject}\n${n.message}`) };
    },
  };
}
