import { describe, expect, it } from 'vitest';
import type { RolloutExecutions } from '../../src/adapters/sfn-executions.ts';
import { rolloutCommand } from '../../src/cli/rollout-command.ts';
import { captureIo } from '../helpers/io.ts';
import { OFFLINE_AWS_ENV } from '../helpers/offline-aws-env.ts';

/** Step Functions that records what it was asked to start. */
function recordingExecutions() {
  const started: unknown[] = [];
  const executions: RolloutExecutions = {
    start: async (_sm: string, input: unknown) => {
      started.push(input);
      return 'arn:exec/1';
    },
    latest: async () => undefined,
    running: async () => [],
    describe: async () => ({ arn: 'arn:exec/1', status: 'RUNNING' }),
    history: async () => [],
  };
  return { started, executions };
}

describe('rollout start with a quality gate override', () => {
  it('puts who and why in the start input, where VerifyCanary records them', async () => {
    const { started, executions } = recordingExecutions();
    const io = captureIo({ ...OFFLINE_AWS_ENV });
    const argv = ['start', '--state-machine', 'arn:sm', '--group', 'tag-scratch'];
    const override = ['--override-quality-gate', 'jane@plant-3', '--override-reason', 'new supplier'];
    expect(await rolloutCommand.runWith([...argv, ...override], io, { executions })).toBe(0);
    expect(started).toEqual([
      { modelPackageGroupName: 'tag-scratch', qualityGateOverride: { by: 'jane@plant-3', reason: 'new supplier' } },
    ]);
  });

  it('refuses an override without its reason (or its author), and starts nothing', async () => {
    const { started, executions } = recordingExecutions();
    const io = captureIo({ ...OFFLINE_AWS_ENV });
    const argv = ['start', '--state-machine', 'arn:sm', '--override-quality-gate', 'jane@plant-3'];
    expect(await rolloutCommand.runWith(argv, io, { executions })).toBe(2);
    expect(io.err()).toContain('--override-reason is missing: an override needs who (--override-quality-gate) and why');
    const io2 = captureIo({ ...OFFLINE_AWS_ENV });
    expect(
      await rolloutCommand.runWith(['start', '--state-machine', 'arn:sm', '--override-reason', 'x'], io2, {
        executions,
      }),
    ).toBe(2);
    expect(io2.err()).toContain('--override-quality-gate is missing');
    expect(started).toEqual([]);
  });
});
