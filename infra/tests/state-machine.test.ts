import { BUSY_ERROR_NAMES, RETRYABLE_ERROR_NAMES, StepNames } from '@edgeqc/orchestrator/handlers';
import { beforeAll, describe, expect, it } from 'vitest';
import { FlowStateNames, LAMBDA_TRANSIENT_ERRORS } from '../lib/constructs/rollout-state-machine.ts';
import {
  type CfnTemplate,
  functionPlaceholderArn,
  stateMachineDefinitionFrom,
  synthPipelineTemplate,
  taskFunctionsFrom,
} from '../lib/synth.ts';
import { validateAsl } from './support/checks.ts';

type Retrier = { ErrorEquals: string[]; IntervalSeconds?: number; MaxAttempts?: number; BackoffRate?: number };
type State = {
  Type: string;
  Next?: string;
  End?: boolean;
  Resource?: string;
  Retry?: Retrier[];
  Catch?: { ErrorEquals: string[]; Next: string; ResultPath?: string }[];
  Choices?: { Variable: string; BooleanEquals: boolean; Next: string }[];
  Default?: string;
  Result?: unknown;
  ResultPath?: string;
  Seconds?: number;
};

let template: CfnTemplate;
let states: Record<string, State>;
let startAt: string;

beforeAll(() => {
  template = synthPipelineTemplate();
  const machine = stateMachineDefinitionFrom(template);
  states = machine.States as Record<string, State>;
  startAt = machine.StartAt;
}, 600_000);

const taskSteps = Object.values(StepNames);

describe('the ModelRollout state machine', () => {
  it('has exactly the agreed state names', () => {
    expect(Object.keys(states).sort()).toEqual(
      [
        ...taskSteps,
        ...Object.values(FlowStateNames),
        ...taskSteps
          .filter((s) => s !== StepNames.NotifyFailure && s !== StepNames.UndoRollout)
          .map((s) => `${s}Failed`),
      ].sort(),
    );
    expect(startAt).toBe(FlowStateNames.RecordExecution);
    for (const step of taskSteps) expect(states[step]?.Type).toBe('Task');
  });

  it('passes asl-validator', () => {
    const result = validateAsl(stateMachineDefinitionFrom(template));
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  it('retries the shared transient error names with exponential backoff on every task', () => {
    for (const step of taskSteps) {
      const transient = states[step]!.Retry?.find((r) => r.ErrorEquals.includes(RETRYABLE_ERROR_NAMES[0]!));
      expect(transient, step).toBeDefined();
      expect(transient!.ErrorEquals).toEqual([...RETRYABLE_ERROR_NAMES, ...LAMBDA_TRANSIENT_ERRORS]);
      expect(transient!.BackoffRate).toBe(2);
      expect(transient!.MaxAttempts).toBeGreaterThan(1);
    }
  });

  it('waits for an earlier rollout of the group instead of interleaving (ResolveModel retries RolloutBusyError)', () => {
    expect(states[FlowStateNames.RecordExecution]).toMatchObject({
      Type: 'Pass',
      ResultPath: '$.execution',
      Next: StepNames.ResolveModel,
    });
    const busy = states.ResolveModel!.Retry!.find((r) => r.ErrorEquals.includes(BUSY_ERROR_NAMES[0]!));
    expect(busy).toMatchObject({ ErrorEquals: [...BUSY_ERROR_NAMES], IntervalSeconds: 60, BackoffRate: 1 });
    // It waits as long as the execution may run: a waiting rollout never gives up and gets overtaken.
    const timeoutSeconds = (stateMachineDefinitionFrom(template) as { TimeoutSeconds?: number }).TimeoutSeconds ?? 0;
    expect(timeoutSeconds).toBeGreaterThanOrEqual(24 * 3600);
    expect(busy!.MaxAttempts! * 60).toBeGreaterThanOrEqual(timeoutSeconds);
    // The busy retrier comes first: a busy rollout is not a transient failure.
    expect(states.ResolveModel!.Retry![0]!.ErrorEquals).toEqual([...BUSY_ERROR_NAMES]);
  });

  it('catches every failure of a task into UndoRollout, naming the failed step, then NotifyFailure, then fails', () => {
    for (const step of taskSteps.filter((s) => s !== StepNames.NotifyFailure && s !== StepNames.UndoRollout)) {
      const c = states[step]!.Catch;
      expect(c, step).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: `${step}Failed` }]);
      expect(states[`${step}Failed`]).toMatchObject({
        Type: 'Pass',
        Result: step,
        ResultPath: '$.failedStep',
        Next: StepNames.UndoRollout,
      });
    }
    // An undo that fails still notifies, with its own error under $.undoFailure.
    expect(states.UndoRollout!.Next).toBe(StepNames.NotifyFailure);
    expect(states.UndoRollout!.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.undoFailure', Next: StepNames.NotifyFailure },
    ]);
    expect(states.NotifyFailure!.Next).toBe(FlowStateNames.RolloutFailed);
    expect(states.NotifyFailure!.Catch?.[0]?.Next).toBe(FlowStateNames.RolloutFailed);
    expect(states[FlowStateNames.RolloutFailed]!.Type).toBe('Fail');
  });

  it('loops CheckDeployable through a Wait until the component is deployable', () => {
    expect(states.CreateComponentVersion!.Next).toBe(StepNames.CheckDeployable);
    expect(states.CheckDeployable!.Next).toBe(FlowStateNames.Deployable);
    expect(states[FlowStateNames.Deployable]).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.deployable', BooleanEquals: true, Next: StepNames.DeployCanary }],
      Default: FlowStateNames.WaitBeforeRecheck,
    });
    expect(states[FlowStateNames.WaitBeforeRecheck]).toMatchObject({ Type: 'Wait', Next: StepNames.CheckDeployable });
  });

  it('goes canary -> verify -> fleet -> verify -> Notify, and a missing model straight to Notify', () => {
    expect(states.ResolveModel!.Next).toBe(FlowStateNames.ModelFound);
    expect(states[FlowStateNames.ModelFound]).toMatchObject({
      Choices: [{ Variable: '$.found', BooleanEquals: false, Next: StepNames.Notify }],
      Default: StepNames.PackageModel,
    });
    expect(states.PackageModel!.Next).toBe(StepNames.CreateComponentVersion);
    expect(states.DeployCanary!.Next).toBe(StepNames.VerifyCanary);
    expect(states[FlowStateNames.CanaryVerified]).toMatchObject({
      Choices: [{ Variable: '$.canary.done', BooleanEquals: true, Next: StepNames.DeployFleet }],
      Default: FlowStateNames.WaitForCanary,
    });
    expect(states[FlowStateNames.WaitForCanary]!.Next).toBe(StepNames.VerifyCanary);
    expect(states.DeployFleet!.Next).toBe(StepNames.VerifyFleet);
    expect(states[FlowStateNames.FleetVerified]).toMatchObject({
      Choices: [{ Variable: '$.fleet.done', BooleanEquals: true, Next: StepNames.Notify }],
      Default: FlowStateNames.WaitForFleet,
    });
    expect(states.Notify!.Next).toBe(FlowStateNames.RolloutSucceeded);
  });

  it('reads the definition as plain ASL: each task invokes its own function by a placeholder ARN', () => {
    const byFunction = taskFunctionsFrom(template);
    expect(Object.values(byFunction).sort()).toEqual([...taskSteps].sort());
    for (const [logicalId, step] of Object.entries(byFunction)) {
      expect(template.Resources[logicalId]?.Type).toBe('AWS::Lambda::Function');
      expect(states[step]!.Resource).toBe(functionPlaceholderArn(logicalId));
    }
  });

  it('names the template it cannot read', () => {
    expect(() => stateMachineDefinitionFrom({ Resources: {} })).toThrow(/0 AWS::StepFunctions::StateMachine/);
  });
});
