/**
 * Two executions for the same model group never interleave: an execution yields to every RUNNING
 * execution of the same state machine that started before it (ties broken by ARN, so exactly one of
 * two simultaneous starts goes first). Pure.
 */
export interface RunningExecution {
  readonly arn: string;
  readonly startedAt?: Date;
}

export function earlierRunning(
  self: { readonly arn: string; readonly startedAt: Date },
  running: readonly RunningExecution[],
): RunningExecution[] {
  return running.filter((e) => {
    if (e.arn === self.arn) return false;
    const t = e.startedAt?.getTime() ?? 0;
    return t < self.startedAt.getTime() || (t === self.startedAt.getTime() && e.arn < self.arn);
  });
}
