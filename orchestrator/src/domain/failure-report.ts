/**
 * The failure notification's text from what Step Functions hands the Catch: {Error, Cause}, where Cause
 * is Lambda's JSON {errorType, errorMessage, ...} or a plain string (States.Timeout, ...). Pure.
 */
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
