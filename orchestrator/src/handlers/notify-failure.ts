/**
 * NotifyFailure: every Task's Catch ends here, with the error under `$.failure` ({Error, Cause}) and,
 * when the state machine sets it, the failed state's name under `$.failedStep`. Publishes which step
 * failed and why, then returns the report; the state machine then ends in Fail.
 */
import { failureReport, undoLines } from '../domain/failure-report.ts';
import { type RolloutState, RolloutStateSchema, StepNames } from '../domain/rollout-state.ts';
import type { Notifier } from '../ports.ts';
import { awsConfig, awsNotifier } from './aws-wiring.ts';
import { defineStep, lambdaEntry } from './step.ts';

export interface NotifyFailureDeps {
  readonly notifier: Notifier;
}

export function createNotifyFailureHandler(deps: NotifyFailureDeps) {
  return defineStep(StepNames.NotifyFailure, RolloutStateSchema, async (input): Promise<RolloutState> => {
    const report = failureReport(input);
    const model = input.model ? `${input.model.name} ${input.model.version}` : (input.modelPackageArn ?? 'model');
    const undone = undoLines(input);
    await deps.notifier.publish(
      `edgeqc rollout FAILED at ${report.step}: ${model}`,
      [
        `Rollout of ${model} failed at ${report.step}.`,
        `Error: ${report.error}`,
        `Reason: ${report.reason}`,
        input.fleet ? 'The fleet deployment had started.' : 'The fleet was not touched.',
        ...undone.lines,
      ].join('\n'),
      { outcome: 'failed', step: report.step, error: report.error, undo: undone.outcome },
    );
    return { ...input, failedStep: report.step };
  });
}

export const handler = lambdaEntry(() => createNotifyFailureHandler({ notifier: awsNotifier(awsConfig()) }));
