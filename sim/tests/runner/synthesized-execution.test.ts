/**
 * The synthesized definition runs: aws-local-stepfunctions (through the local runner)
 * executes stateMachineDefinitionFrom's ASL with stub functions bound by logical id. Proves the happy
 * path, a transient error retried, the WaitDeployable loop, and a failure caught into NotifyFailure
 * with the failed step recorded, before the fleet is touched.
 */

import {
  type CfnTemplate,
  stateMachineDefinitionFrom,
  synthPipelineTemplate,
  taskFunctionsFrom,
} from '@edgeqc/infra/synth';
import { ErrorNames, StepNames } from '@edgeqc/orchestrator/handlers';
import { beforeAll, describe, expect, it } from 'vitest';
import { runLocalExecution } from '../../src/runner/local-execution.ts';

type Payload = Record<string, unknown>;
type Stub = (step: string, input: Payload, calls: number) => Payload;

let template: CfnTemplate;

beforeAll(() => {
  template = synthPipelineTemplate();
  // Synthesis bundles every function: a deadline for a busy machine, not a budget.
}, 600_000);

function named(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

async function run(stub: Stub) {
  const calls: string[] = [];
  const functions = Object.fromEntries(
    Object.entries(taskFunctionsFrom(template)).map(([id, step]) => [
      id,
      async (input: unknown) => {
        calls.push(step);
        return stub(step, input as Payload, calls.filter((c) => c === step).length);
      },
    ]),
  );
  const definition = stateMachineDefinitionFrom(template) as Parameters<typeof runLocalExecution>[1]['definition'];
  const result = await runLocalExecution(
    { modelPackageArn: 'arn:aws:sagemaker:eu-west-1:000000000000:model-package/tag-scratch/1' },
    { definition, functions, waitMs: 5, retryIntervalMs: 5 },
  );
  return { result, calls };
}

/** A rollout where every step succeeds (the first ResolveModel call is throttled). */
const healthy: Stub = (step, input, n) => {
  if (step === StepNames.ResolveModel && n === 1) throw named(ErrorNames.Throttled, 'Rate exceeded');
  if (step === StepNames.ResolveModel) return { ...input, found: true };
  if (step === StepNames.CheckDeployable) return { ...input, deployable: n >= 2 };
  if (step === StepNames.VerifyCanary) return { ...input, canary: { done: true } };
  if (step === StepNames.VerifyFleet) return { ...input, fleet: { done: true } };
  if (step === StepNames.UndoRollout) return { ...input, undo: { canary: { canceledDeploymentId: 'dep-canary' } } };
  return input;
};

describe('the synthesized state machine, run locally', () => {
  it('rolls out canary before fleet, retrying a throttled step and waiting until deployable', async () => {
    const { result, calls } = await run(healthy);
    expect(result.status).toBe('SUCCEEDED');
    expect(calls).toEqual([
      StepNames.ResolveModel,
      StepNames.ResolveModel,
      StepNames.PackageModel,
      StepNames.CreateComponentVersion,
      StepNames.CheckDeployable,
      StepNames.CheckDeployable,
      StepNames.DeployCanary,
      StepNames.VerifyCanary,
      StepNames.DeployFleet,
      StepNames.VerifyFleet,
      StepNames.Notify,
    ]);
    expect(result.path).toContain('WaitBeforeRecheck');
    expect((result.output as Payload).execution).toMatchObject({ id: expect.stringContaining(':execution:') });
  });

  it('succeeds as a no-op when no model is found', async () => {
    const { result, calls } = await run((step, input) =>
      step === StepNames.ResolveModel ? { ...input, found: false } : input,
    );
    expect(result.status).toBe('SUCCEEDED');
    expect(calls).toEqual([StepNames.ResolveModel, StepNames.Notify]);
  });

  it('sends a failing canary to NotifyFailure with the step named, and never deploys the fleet', async () => {
    let failure: Payload | undefined;
    const { result, calls } = await run((step, input, n) => {
      if (step === StepNames.VerifyCanary)
        throw named(ErrorNames.CanaryUnhealthy, '[VerifyCanary] edgeqc-device-0 rolled back');
      if (step === StepNames.NotifyFailure) failure = input;
      return healthy(step, input, step === StepNames.ResolveModel ? n + 1 : n);
    });
    expect(result.status).toBe('FAILED');
    expect(result.finalState).toBe('RolloutFailed');
    expect(calls).not.toContain(StepNames.DeployFleet);
    expect(calls.filter((c) => c === StepNames.VerifyCanary)).toHaveLength(1);
    expect(calls.slice(-2)).toEqual([StepNames.UndoRollout, StepNames.NotifyFailure]);
    expect(failure).toMatchObject({
      failedStep: StepNames.VerifyCanary,
      failure: { Error: ErrorNames.CanaryUnhealthy, Cause: expect.stringContaining('rolled back') },
      undo: { canary: { canceledDeploymentId: 'dep-canary' } },
    });
  });

  it('a fleet failure after canary success goes through UndoRollout; an undo that fails still notifies', async () => {
    let failure: Payload | undefined;
    const { result, calls } = await run((step, input, n) => {
      if (step === StepNames.VerifyFleet) throw named(ErrorNames.FleetUnhealthy, '[VerifyFleet] line-2 refused it');
      if (step === StepNames.UndoRollout) throw named(ErrorNames.UndoFailed, '[UndoRollout] cancel refused');
      if (step === StepNames.NotifyFailure) failure = input;
      return healthy(step, input, step === StepNames.ResolveModel ? n + 1 : n);
    });
    expect(result.status).toBe('FAILED');
    expect(calls.slice(-3)).toEqual([StepNames.VerifyFleet, StepNames.UndoRollout, StepNames.NotifyFailure]);
    expect(failure).toMatchObject({
      failedStep: StepNames.VerifyFleet,
      failure: { Error: ErrorNames.FleetUnhealthy },
      undoFailure: { Error: ErrorNames.UndoFailed },
    });
  });
});
