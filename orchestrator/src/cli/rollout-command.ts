/**
 * `edgeqc rollout start|status`: start the ModelRollout state machine by hand (newest Approved model of
 * the group) and show an execution's progress step by step, optionally following it to the end.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { Command, CommandIo } from '@edgeqc/model-component/cli';
import { createSfnExecutions, type RolloutExecutions } from '../adapters/sfn-executions.ts';
import { executionProgress, formatProgress } from '../domain/execution-progress.ts';
import { type QualityOverride, QualityOverrideSchema } from '../domain/rollout-state.ts';
import { UsageError } from '../errors.ts';
import { clientSettings } from './aws-env.ts';

/** Environment variable with the state machine's ARN (the CDK app prints it as an output). */
export const STATE_MACHINE_ENV = 'EDGEQC_STATE_MACHINE_ARN';

const HELP = `usage: edgeqc rollout start [--group <model package group>] [--state-machine <arn>]
                            [--override-quality-gate <who> --override-reason <why>]
       edgeqc rollout status [--execution <arn> | --state-machine <arn>] [--follow] [--json]

start   starts a rollout of the newest Approved model package of the group
status  shows an execution's steps (default: the newest execution of the state machine);
        --follow prints each change until the execution ends (exit 0 when it SUCCEEDED, 1 otherwise)
options:
  --state-machine <arn>      default: env ${STATE_MACHINE_ENV}
  --override-quality-gate <who>, --override-reason <why>
                             let the canary through a failing quality gate; recorded (who, why,
                             what failed) in the execution's output and the notification
  --interval-seconds <n>     polling interval with --follow (default 10)
`;

export interface RolloutCommandDeps {
  readonly executions: RolloutExecutions;
}

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);

export async function rolloutStatus(
  deps: RolloutCommandDeps,
  o: { executionArn: string; follow: boolean; intervalMs: number; json: boolean },
  io: Pick<CommandIo, 'stdout' | 'signal'>,
): Promise<string> {
  let last = '';
  for (;;) {
    const summary = await deps.executions.describe(o.executionArn);
    const steps = executionProgress(await deps.executions.history(o.executionArn));
    const text = o.json
      ? JSON.stringify({ executionArn: o.executionArn, status: summary.status, steps })
      : formatProgress(summary.status, steps);
    if (text !== last) {
      io.stdout.write(`${text}\n`);
      last = text;
    }
    if (!o.follow || TERMINAL.has(summary.status) || io.signal.aborted) return summary.status;
    await sleep(o.intervalMs, undefined, { signal: io.signal }).catch(() => undefined);
  }
}

/** `--override-quality-gate <who> --override-reason <why>`: both or neither. */
function qualityGateOverride(values: Record<string, string | boolean | undefined>): {
  qualityGateOverride?: QualityOverride;
} {
  const by = values['override-quality-gate'];
  const reason = values['override-reason'];
  if (by === undefined && reason === undefined) return {};
  const parsed = QualityOverrideSchema.safeParse({ by, reason });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const flag = issue?.path[0] === 'by' ? '--override-quality-gate' : '--override-reason';
    const value = issue?.path[0] === 'by' ? by : reason;
    throw new UsageError(
      'USAGE',
      `${flag} ${value === undefined ? 'is missing' : `${JSON.stringify(value)} is not allowed`}: an override needs who (--override-quality-gate) and why (--override-reason), each 1-200 and 1-1000 characters`,
    );
  }
  return { qualityGateOverride: parsed.data };
}

async function run(argv: readonly string[], io: CommandIo, inject?: RolloutCommandDeps): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        group: { type: 'string' },
        'override-quality-gate': { type: 'string' },
        'override-reason': { type: 'string' },
        'state-machine': { type: 'string' },
        execution: { type: 'string' },
        follow: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        'interval-seconds': { type: 'string', default: '10' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    io.stderr.write(`${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  try {
    const deps = inject ?? { executions: createSfnExecutions(new SFNClient(clientSettings(io.env))) };
    const stateMachine = (values['state-machine'] as string | undefined) ?? io.env[STATE_MACHINE_ENV];
    const sub = positionals[0];
    if (sub === 'start') {
      if (!stateMachine)
        throw new UsageError('USAGE', `--state-machine <arn> is required (or set ${STATE_MACHINE_ENV})`);
      const input = {
        ...(values.group ? { modelPackageGroupName: values.group } : {}),
        ...qualityGateOverride(values),
      };
      const arn = await deps.executions.start(stateMachine, input);
      io.stdout.write(values.json ? `${JSON.stringify({ executionArn: arn })}\n` : `started ${arn}\n`);
      return 0;
    }
    if (sub === 'status') {
      const interval = Number(values['interval-seconds']);
      if (!Number.isFinite(interval) || interval <= 0) {
        throw new UsageError('USAGE', `--interval-seconds '${values['interval-seconds']}': expected a positive number`);
      }
      let executionArn = values.execution as string | undefined;
      if (!executionArn) {
        if (!stateMachine)
          throw new UsageError(
            'USAGE',
            `give --execution <arn> or --state-machine <arn> (or set ${STATE_MACHINE_ENV})`,
          );
        executionArn = await deps.executions.latest(stateMachine);
        if (!executionArn) {
          io.stdout.write(`no executions of ${stateMachine} yet\n`);
          return 0;
        }
      }
      const status = await rolloutStatus(
        deps,
        { executionArn, follow: values.follow === true, intervalMs: interval * 1000, json: values.json === true },
        io,
      );
      return values.follow && status !== 'SUCCEEDED' ? 1 : 0;
    }
    throw new UsageError('USAGE', `expected 'start' or 'status', got '${sub ?? ''}'`);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`rollout: ${err.message}\n\n${HELP}`);
      return 2;
    }
    io.stderr.write(`rollout failed: ${(err as Error).name}: ${(err as Error).message}\n`);
    return 1;
  }
}

export const rolloutCommand: Command & {
  runWith(argv: readonly string[], io: CommandIo, deps: RolloutCommandDeps): Promise<number>;
} = {
  name: 'rollout',
  summary: 'start a model rollout, or show its progress step by step (status [--follow])',
  run: (argv, io) => run(argv, io),
  runWith: (argv, io, deps) => run(argv, io, deps),
};
