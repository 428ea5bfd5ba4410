import { describe, expect, it } from 'vitest';
import { resolveIntrinsics } from '../../src/runner/cfn-intrinsics.ts';
import { type AslMachine, runLocalExecution } from '../../src/runner/local-execution.ts';

/** A small definition in the shape CDK's LambdaInvoke emits (a unit fixture for the runner, not the pipeline). */
const template = {
  Resources: {
    StepAFn: { Type: 'AWS::Lambda::Function' },
    StepBFn: { Type: 'AWS::Lambda::Function' },
    Topic: { Type: 'AWS::SNS::Topic' },
  },
};
const definitionJoin = {
  'Fn::Join': [
    '',
    [
      '{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:',
      { Ref: 'AWS::Partition' },
      ':states:::lambda:invoke","Parameters":{"FunctionName":"',
      { 'Fn::GetAtt': ['StepAFn', 'Arn'] },
      '","Payload.$":"$"},"ResultSelector":{"out.$":"$.Payload"},"Next":"Pause"},',
      '"Pause":{"Type":"Wait","Seconds":3600,"Next":"B"},',
      '"B":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"',
      { 'Fn::GetAtt': ['StepBFn', 'Arn'] },
      '","Payload.$":"$"},"OutputPath":"$.Payload",',
      '"Retry":[{"ErrorEquals":["ThrottledError"],"MaxAttempts":2,"IntervalSeconds":60}],',
      '"Catch":[{"ErrorEquals":["CanaryFailedError"],"ResultPath":"$.error","Next":"Failed"}],"End":true},',
      '"Failed":{"Type":"Fail","Error":"RolloutFailed"}}}',
    ],
  ],
};

const definition = () =>
  JSON.parse(
    String(resolveIntrinsics(definitionJoin, template, { region: 'us-east-1', accountId: '0' })),
  ) as AslMachine;

describe('runLocalExecution (aws-local-stepfunctions, tasks bound by state name)', () => {
  it('binds Lambda invokes to local handlers, shortens waits and retries, and reports the path', async () => {
    let attempts = 0;
    const result = await runLocalExecution(
      { n: 1 },
      {
        definition: definition(),
        functions: {
          StepAFn: async (p) => ({ doubled: (p as { n: number }).n * 2 }),
          StepBFn: async (p) => {
            attempts += 1;
            if (attempts < 2) throw Object.assign(new Error('slow down'), { name: 'ThrottledError' });
            return { got: p };
          },
        },
        waitMs: 1,
        retryIntervalMs: 1,
      },
    );
    expect(result).toMatchObject({ status: 'SUCCEEDED', output: { got: { out: { doubled: 2 } } }, finalState: 'B' });
    expect(result.path).toEqual(['A', 'Pause', 'B']);
    expect(attempts).toBe(2);
  });

  it('catches a handler error by its name, with Lambda-style cause', async () => {
    const result = await runLocalExecution(
      {},
      {
        definition: definition(),
        functions: {
          StepAFn: async () => ({}),
          StepBFn: async () => {
            throw Object.assign(new Error('canary dev-1 rolled back'), { name: 'CanaryFailedError' });
          },
        },
        waitMs: 1,
      },
    );
    expect(result).toMatchObject({ status: 'FAILED', error: 'RolloutFailed', finalState: 'Failed' });
    expect(result.path).toEqual(['A', 'Pause', 'B', 'Failed']);
  });

  it('refuses to run a definition with a Task it cannot bind', async () => {
    await expect(
      runLocalExecution({}, { definition: definition(), functions: { StepAFn: async () => ({}) } }),
    ).rejects.toThrow(/Task state 'B' calls function StepBFn, which has no local binding/);
  });
});
