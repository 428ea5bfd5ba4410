/**
 * NotifyFailure: every Task's Catch ends here, with the error under `$.failure` ({Error, Cause}) and,
 * when the state machine sets it, the failed state's name under `$.failedStep`. Publishes which step
 * failed and why, then returns the report; the state machine then ends in Fail.
 */
import { failureReport } from '../domain/failure-report.ts';
import { type RolloutState, RolloutStateSchema, StepNames } from '../domain/rollout-state.ts';
import type { Notifier } from '../ports.ts';
import { awsConfig, awsNotifier } from './aws-wiring.ts';
import { defineStep, lambdaEntry } from './step.ts';

export interface NotifyFailureDeps {
  readonly notifier: Notifier;
}

/** What UndoRollout did (or that it failed), one line per stage. */
export function undoLines(input: RolloutState): { outcome: string; lines: string[] } {
  if (input.undoFailure) {
    const undo = failureReport({ failedStep: StepNames.UndoRollout, failure: input.undoFailure });
    return {
      outcome: 'undo-failed',
      lines: [
        `UNDO FAILED (${undo.error}: ${undo.reason}): the groups may run a mix of releases; cancel and redeploy by hand.`,
      ],
    };
  }
  const lines: string[] = [];
  for (const stage of ['fleet', 'canary'] as const) {
    const u = input.undo?.[stage];
    if (!u) continue;
    lines.push(
      u.restoredDeploymentId
        ? `Undone: ${stage} deployment ${u.canceledDeploymentId} canceled, the previous deployment ${u.previousDeploymentId} redeployed to ${u.group} (${u.restoredDeploymentId}).`
        : `Canceled: ${stage} deployment ${u.canceledDeploymentId}; ${u.group} had no previous deployment to go back to, devices that applied it keep it.`,
    );
  }
  return { outcome: lines.length ? 'undone' : 'nothing-to-undo', lines };
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
