/**
 * A Step Functions execution's progress, step by step, from its history events (GetExecutionHistory
 * shapes). Pure. A state that ran several times (a wait loop) shows once, with its count.
 */
export interface HistoryEvent {
  readonly timestamp?: Date;
  readonly type?: string;
  readonly id?: number;
  readonly stateEnteredEventDetails?: { readonly name?: string };
  readonly stateExitedEventDetails?: { readonly name?: string };
  readonly taskFailedEventDetails?: { readonly error?: string; readonly cause?: string };
  readonly lambdaFunctionFailedEventDetails?: { readonly error?: string; readonly cause?: string };
  readonly executionFailedEventDetails?: { readonly error?: string; readonly cause?: string };
}

export interface StepProgress {
  readonly name: string;
  readonly status: 'running' | 'done' | 'failed';
  readonly runs: number;
  readonly enteredAt?: Date;
  readonly exitedAt?: Date;
  readonly error?: string;
  readonly cause?: string;
}

/** Step Functions' internal states of our machine that are noise to people. */
const HIDDEN_TYPES = /^(Pass|Choice|Wait|Succeed|Fail)State/;

export function executionProgress(events: readonly HistoryEvent[]): StepProgress[] {
  const steps = new Map<string, { -readonly [K in keyof StepProgress]: StepProgress[K] }>();
  let current: string | undefined;
  const sorted = [...events].sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
  for (const e of sorted) {
    const type = e.type ?? '';
    if (type.endsWith('StateEntered') && !HIDDEN_TYPES.test(type)) {
      const name = e.stateEnteredEventDetails?.name ?? '?';
      const s = steps.get(name);
      if (s) {
        s.runs++;
        s.status = 'running';
        s.error = undefined;
        s.cause = undefined;
      } else steps.set(name, { name, status: 'running', runs: 1, enteredAt: e.timestamp });
      current = name;
    } else if (type.endsWith('StateExited') && !HIDDEN_TYPES.test(type)) {
      const s = steps.get(e.stateExitedEventDetails?.name ?? '');
      if (s && s.status === 'running') {
        s.status = 'done';
        s.exitedAt = e.timestamp;
      }
      current = undefined;
    } else if (type === 'TaskFailed' || type === 'LambdaFunctionFailed' || type === 'TaskTimedOut') {
      const d = e.taskFailedEventDetails ?? e.lambdaFunctionFailedEventDetails;
      const s = current ? steps.get(current) : undefined;
      if (s) {
        s.status = 'failed';
        s.error = d?.error ?? type;
        s.cause = d?.cause;
      }
    }
  }
  return [...steps.values()];
}

/** Lambda failure causes are JSON {errorMessage}; show the message. */
function readableCause(cause: string | undefined): string {
  if (!cause) return '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // plain text
  }
  return cause;
}

export function formatProgress(status: string, steps: readonly StepProgress[]): string {
  const mark = { running: '…', done: '✓', failed: '✗' } as const;
  const lines = steps.map((s) => {
    const runs = s.runs > 1 ? ` (${s.runs} runs)` : '';
    const why = s.status === 'failed' ? `  ${s.error}: ${readableCause(s.cause)}` : '';
    return `  ${mark[s.status]} ${s.name}${runs}${why}`;
  });
  return [`execution ${status}`, ...lines].join('\n');
}
