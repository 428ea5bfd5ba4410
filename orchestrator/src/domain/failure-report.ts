/**
 * The failure notification's text from what Step Functions hands the Catch: {Error, Cause}, where Cause
 * is Lambda's JSON {errorType, errorMessage, ...} or a plain string (States.Timeout, ...), and what
 * UndoRollout did. Pure.
 */
import { type RolloutState, StepNames } from './rollout-state.ts';

export interface FailureReport {
  readonly step: string;
  readonly error: string;
  readonly reason: string;
}

/** Our handlers prefix messages with `[<Step>] `. */
const STEP_PREFIX = /^\[([A-Za-z]+)\]\s*/;

export function failureReport(input: {
  failedStep?: string;
  failure?: { Error?: string; Cause?: string };
}): FailureReport {
  const error = input.failure?.Error ?? 'UnknownError';
  let reason = input.failure?.Cause ?? '';
  try {
    const parsed = JSON.parse(reason) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') reason = parsed.errorMessage;
  } catch {
    // Not JSON: a plain Step Functions cause.
  }
  const m = STEP_PREFIX.exec(reason);
  const step = input.failedStep ?? m?.[1] ?? 'unknown step';
  if (m) reason = reason.slice(m[0].length);
  return { step, error, reason: reason || 'no reason given' };
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
