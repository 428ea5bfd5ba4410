/**
 * The people's commands: `rollout status` progress from real-shaped execution history, and
 * publish-model's input checks (`rollout start|status` against moto's Step Functions: sim/tests/aws).
 */
import { describe, expect, it } from 'vitest';
import type { RolloutExecutions } from '../../src/adapters/sfn-executions.ts';
import { commands } from '../../src/cli/index.ts';
import { publishModelCommand } from '../../src/cli/publish-model-command.ts';
import { rolloutCommand } from '../../src/cli/rollout-command.ts';
import { executionProgress } from '../../src/domain/execution-progress.ts';
import { captureIo } from '../helpers/io.ts';
import { OFFLINE_AWS_ENV } from '../helpers/offline-aws-env.ts';

const t = (s: number) => new Date(Date.UTC(2026, 10, 23, 1, 0, s));
const failedHistory = [
  { id: 1, type: 'ExecutionStarted', timestamp: t(0) },
  { id: 2, type: 'TaskStateEntered', timestamp: t(1), stateEnteredEventDetails: { name: 'ResolveModel' } },
  { id: 3, type: 'TaskStateExited', timestamp: t(2), stateExitedEventDetails: { name: 'ResolveModel' } },
  { id: 4, type: 'ChoiceStateEntered', timestamp: t(2), stateEnteredEventDetails: { name: 'ModelFound' } },
  { id: 5, type: 'TaskStateEntered', timestamp: t(3), stateEnteredEventDetails: { name: 'CheckDeployable' } },
  { id: 6, type: 'TaskStateExited', timestamp: t(4), stateExitedEventDetails: { name: 'CheckDeployable' } },
  { id: 7, type: 'WaitStateEntered', timestamp: t(4), stateEnteredEventDetails: { name: 'WaitDeployable' } },
  { id: 8, type: 'TaskStateEntered', timestamp: t(14), stateEnteredEventDetails: { name: 'CheckDeployable' } },
  { id: 9, type: 'TaskStateExited', timestamp: t(15), stateExitedEventDetails: { name: 'CheckDeployable' } },
  { id: 10, type: 'TaskStateEntered', timestamp: t(16), stateEnteredEventDetails: { name: 'VerifyCanary' } },
  {
    id: 11,
    type: 'TaskFailed',
    timestamp: t(17),
    taskFailedEventDetails: {
      error: 'CanaryUnhealthyError',
      cause: JSON.stringify({
        errorType: 'CanaryUnhealthyError',
        errorMessage: '[VerifyCanary] 1 of 2 canary device(s) failed: canary-2: self-test of the new model failed',
      }),
    },
  },
];

describe('execution progress', () => {
  it('lists each step once with its runs, hides Choice/Wait states, and shows why a step failed', () => {
    const steps = executionProgress(failedHistory);
    expect(steps.map((s) => [s.name, s.status, s.runs])).toEqual([
      ['ResolveModel', 'done', 1],
      ['CheckDeployable', 'done', 2],
      ['VerifyCanary', 'failed', 1],
    ]);
    expect(steps[2]?.error).toBe('CanaryUnhealthyError');
  });

  it('rollout status --follow prints changes until the execution ends and exits 1 when it failed', async () => {
    let calls = 0;
    const executions: RolloutExecutions = {
      start: async () => 'arn:exec',
      latest: async () => 'arn:exec',
      running: async () => [],
      describe: async () => ({ arn: 'arn:exec', status: ++calls < 2 ? 'RUNNING' : 'FAILED' }),
      history: async () => (calls < 2 ? failedHistory.slice(0, 5) : failedHistory),
    };
    const io = captureIo();
    const code = await rolloutCommand.runWith(
      ['status', '--state-machine', 'arn:sm', '--follow', '--interval-seconds', '0.01'],
      io,
      {
        executions,
      },
    );
    expect(code).toBe(1);
    expect(io.out()).toContain('execution RUNNING\n  ✓ ResolveModel\n  … CheckDeployable');
    expect(io.out()).toContain(
      '✗ VerifyCanary  CanaryUnhealthyError: [VerifyCanary] 1 of 2 canary device(s) failed: canary-2',
    );
  });
});

describe('rollout input checks (nothing is started)', () => {
  it('refuses a start without a state machine, naming the flag and the variable', async () => {
    const io = captureIo({ ...OFFLINE_AWS_ENV });
    expect(await rolloutCommand.run(['start'], io)).toBe(2);
    expect(io.err()).toContain('--state-machine <arn> is required (or set EDGEQC_STATE_MACHINE_ARN)');
  });
});

describe('publish-model input checks (nothing is uploaded)', () => {
  const run = async (argv: string[]) => {
    const io = captureIo({ ...OFFLINE_AWS_ENV });
    return { code: await publishModelCommand.run(argv, io), err: io.err() };
  };

  it('names the missing or malformed input', async () => {
    expect(await run(['m.onnx', '--bucket', 'b'])).toMatchObject({ code: 2, err: expect.stringContaining('--group') });
    expect(await run(['m.onnx', '--group', 'g'])).toMatchObject({ code: 2, err: expect.stringContaining('--bucket') });
    expect(await run(['/nonexistent/m.onnx', '--group', 'g', '--bucket', 'b'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('model file /nonexistent/m.onnx cannot be read'),
    });
    expect(await run(['m.onnx', '--group', 'bad_group', '--bucket', 'b'])).toMatchObject({
      code: 2,
      err: expect.stringContaining("--group 'bad_group'"),
    });
    expect(await run(['m.onnx', '--group', 'g', '--bucket', 'b', '--model-version', 'v1'])).toMatchObject({
      code: 2,
      err: expect.stringContaining("--model-version 'v1'"),
    });
  });

  it('is registered as an edgeqc command with rollout', () => {
    expect(commands.map((c) => c.name)).toEqual(expect.arrayContaining(['publish-model', 'rollout']));
  });
});
