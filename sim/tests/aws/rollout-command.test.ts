/**
 * `edgeqc rollout start|status` against moto_server's Step Functions (started here): the execution
 * starts with the group as input and status shows the newest execution.
 */
import { CreateStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import { createSfnExecutions } from '@edgeqc/orchestrator/adapters/sfn-executions';
import { rolloutCommand } from '@edgeqc/orchestrator/cli/rollout-command';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MotoServer, startMotoServer } from '../../src/aws/moto-server.ts';
import { captureIo } from '../support/capture-io.ts';

let moto: MotoServer;
let stateMachineArn: string;

beforeAll(async () => {
  moto = await startMotoServer();
  const out = await new SFNClient(moto.config).send(
    new CreateStateMachineCommand({
      name: 'ModelRollout',
      roleArn: 'arn:aws:iam::123456789012:role/sfn',
      definition: JSON.stringify({ StartAt: 'ResolveModel', States: { ResolveModel: { Type: 'Pass', End: true } } }),
    }),
  );
  stateMachineArn = out.stateMachineArn ?? '';
}, 60_000);

afterAll(async () => {
  await moto?.stop();
});

describe('rollout against moto_server Step Functions', () => {
  it('starts an execution with the group and shows the newest execution', async () => {
    const io = captureIo({ ...moto.env, EDGEQC_STATE_MACHINE_ARN: stateMachineArn });
    expect(await rolloutCommand.run(['start', '--group', 'tag-scratch', '--json'], io.io)).toBe(0);
    const { executionArn } = JSON.parse(io.out()) as { executionArn: string };
    expect(executionArn).toContain(':execution:ModelRollout:');

    const sfn = createSfnExecutions(new SFNClient(moto.config));
    expect(await sfn.latest(stateMachineArn)).toBe(executionArn);
    const d = await sfn.describe(executionArn);
    expect(JSON.parse(d.input ?? '{}')).toEqual({ modelPackageGroupName: 'tag-scratch' });

    const status = captureIo({ ...moto.env, EDGEQC_STATE_MACHINE_ARN: stateMachineArn });
    expect(await rolloutCommand.run(['status', '--json'], status.io)).toBe(0);
    expect(JSON.parse(status.out())).toMatchObject({ executionArn, status: expect.any(String) });
  });
});
