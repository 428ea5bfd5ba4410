/** Adapter mapping at the SDK boundary (aws-sdk-client-mock, real API shapes) and AWS error classification. */
import {
  CreateDeploymentCommand,
  GreengrassV2Client,
  ListEffectiveDeploymentsCommand,
  ListInstalledComponentsCommand,
} from '@aws-sdk/client-greengrassv2';
import { IoTClient, ListThingsInThingGroupCommand } from '@aws-sdk/client-iot';
import { GetRetainedMessageCommand, IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { classifyAwsError, parseS3Uri } from '../../src/adapters/aws-errors.ts';
import { createGreengrassDeploymentService } from '../../src/adapters/greengrass-deployments.ts';
import { createIotFleetHealth } from '../../src/adapters/iot-fleet-health.ts';
import { snsSubject } from '../../src/adapters/sns-notifier.ts';
import { planDeployment } from '../../src/domain/deployment-plan.ts';
import { ErrorNames, isRetryable } from '../../src/errors.ts';

const gg = mockClient(GreengrassV2Client);
const iot = mockClient(IoTClient);
const data = mockClient(IoTDataPlaneClient);
afterAll(() => {
  gg.restore();
  iot.restore();
  data.restore();
});
beforeEach(() => {
  gg.reset();
  iot.reset();
  data.reset();
});

const service = () =>
  createGreengrassDeploymentService(
    new GreengrassV2Client({ region: 'us-east-1' }),
    new IoTClient({ region: 'us-east-1' }),
  );

describe('Greengrass deployment service', () => {
  it('sends the fleet plan as CreateDeployment with jobExecutionsRolloutConfig, abortConfig and timeoutConfig', async () => {
    gg.on(CreateDeploymentCommand).resolves({
      deploymentId: 'd-1',
      iotJobId: 'j-1',
      iotJobArn: 'arn:aws:iot:us-east-1:1:job/j-1',
    });
    const plan = planDeployment({
      targetArn: 'arn:aws:iot:us-east-1:123456789012:thinggroup/fleet',
      stage: 'fleet',
      modelName: 'tag-scratch',
      modelVersion: '1.0.2',
      current: {},
      inferenceVersion: '0.1.0',
    });
    expect(await service().createDeployment(plan)).toEqual({ deploymentId: 'd-1', iotJobId: 'j-1' });
    const input = gg.commandCalls(CreateDeploymentCommand)[0]?.args[0].input;
    expect(input?.iotJobConfiguration).toEqual({
      jobExecutionsRolloutConfig: {
        maximumPerMinute: undefined,
        exponentialRate: {
          baseRatePerMinute: 2,
          incrementFactor: 2,
          rateIncreaseCriteria: { numberOfSucceededThings: 2 },
        },
      },
      abortConfig: {
        criteriaList: ['FAILED', 'TIMED_OUT', 'REJECTED'].map((failureType) => ({
          failureType,
          action: 'CANCEL',
          thresholdPercentage: 10,
          minNumberOfExecutedThings: 2,
        })),
      },
      timeoutConfig: { inProgressTimeoutInMinutes: 30 },
    });
    expect(input?.deploymentName).toBe('edgeqc-fleet-tag-scratch-1.0.2');
  });

  it('a refused CreateDeployment is DeploymentRejected (fatal), naming the target', async () => {
    gg.on(CreateDeploymentCommand).rejects(
      Object.assign(new Error('component version not found'), { name: 'ValidationException' }),
    );
    const plan = planDeployment({
      targetArn: 'arn:t',
      stage: 'canary',
      modelName: 'm',
      modelVersion: '1.0.0',
      current: {},
      inferenceVersion: '1.0.0',
    });
    await expect(service().createDeployment(plan)).rejects.toMatchObject({
      name: ErrorNames.DeploymentRejected,
      message: expect.stringContaining('arn:t'),
    });
  });

  it('pages through group members and per-device lists', async () => {
    iot
      .on(ListThingsInThingGroupCommand)
      .resolvesOnce({ things: ['a', 'b'], nextToken: 'n' })
      .resolvesOnce({ things: ['c'] });
    expect(await service().groupMembers('fleet')).toEqual(['a', 'b', 'c']);
    gg.on(ListEffectiveDeploymentsCommand).resolves({
      effectiveDeployments: [
        {
          deploymentId: 'd-1',
          deploymentName: 'x',
          targetArn: 't',
          coreDeviceExecutionStatus: 'FAILED',
          reason: 'component failed',
          creationTimestamp: new Date(),
          modifiedTimestamp: new Date(),
          statusDetails: { errorStack: ['DEPLOYMENT_FAILURE', 'COMPONENT_BROKEN'], errorTypes: ['DEVICE_ERROR'] },
        },
      ],
    });
    expect(await service().listEffectiveDeployments('a')).toEqual([
      expect.objectContaining({
        deploymentId: 'd-1',
        executionStatus: 'FAILED',
        detailedStatus: 'DEPLOYMENT_FAILURE > COMPONENT_BROKEN',
      }),
    ]);
    gg.on(ListInstalledComponentsCommand).resolves({
      installedComponents: [
        { componentName: 'com.edgeqc.Inference', componentVersion: '0.1.0', lifecycleState: 'BROKEN', isRoot: true },
      ],
    });
    expect(await service().listInstalledComponents('a')).toEqual([
      { componentName: 'com.edgeqc.Inference', componentVersion: '0.1.0', lifecycleState: 'BROKEN' },
    ]);
  });
});

describe('IoT retained status', () => {
  const health = createIotFleetHealth(new IoTDataPlaneClient({ region: 'us-east-1' }), 'edgeqc');

  it('reads edgeqc/<thing>/status; none is undefined; non-JSON comes back as text for the checker to name', async () => {
    data
      .on(GetRetainedMessageCommand, { topic: 'edgeqc/a/status' })
      .resolves({ topic: 'edgeqc/a/status', payload: new TextEncoder().encode('{"state":"online"}'), qos: 1 });
    data
      .on(GetRetainedMessageCommand, { topic: 'edgeqc/b/status' })
      .rejects(Object.assign(new Error('no retained message'), { name: 'ResourceNotFoundException' }));
    data
      .on(GetRetainedMessageCommand, { topic: 'edgeqc/c/status' })
      .resolves({ topic: 'edgeqc/c/status', payload: new TextEncoder().encode('garbage'), qos: 1 });
    expect(await health.retainedStatus('a')).toEqual({ state: 'online' });
    expect(await health.retainedStatus('b')).toBeUndefined();
    expect(await health.retainedStatus('c')).toBe('garbage');
  });
});

describe('AWS error classification', () => {
  const sdkError = (name: string, status?: number, code?: string) =>
    Object.assign(new Error(name), {
      name,
      ...(status ? { $metadata: { httpStatusCode: status } } : {}),
      ...(code ? { code } : {}),
    });

  it('throttling and service errors become the retryable names; client errors pass through', () => {
    expect(classifyAwsError(sdkError('ThrottlingException', 400), 'x')).toMatchObject({ name: ErrorNames.Throttled });
    expect(classifyAwsError(sdkError('TooManyRequestsException'), 'x')).toMatchObject({ name: ErrorNames.Throttled });
    expect(classifyAwsError(sdkError('InternalServerException', 500), 'x')).toMatchObject({
      name: ErrorNames.ServiceUnavailable,
    });
    expect(classifyAwsError(sdkError('Whatever', 503), 'x')).toMatchObject({ name: ErrorNames.ServiceUnavailable });
    expect(classifyAwsError(sdkError('Error', undefined, 'ECONNRESET'), 'x')).toMatchObject({
      name: ErrorNames.ServiceUnavailable,
    });
    const validation = sdkError('ValidationException', 400);
    expect(classifyAwsError(validation, 'x')).toBe(validation);
    expect(isRetryable(classifyAwsError(sdkError('SlowDown', 503), 'x'))).toBe(true);
  });

  it('parses s3:// URIs and names a bad one', () => {
    expect(parseS3Uri('s3://my-bucket/a/b.onnx')).toEqual({ bucket: 'my-bucket', key: 'a/b.onnx' });
    expect(() => parseS3Uri('https://x/y')).toThrowError(
      expect.objectContaining({ name: ErrorNames.InvalidInput, message: expect.stringContaining("'https://x/y'") }),
    );
  });

  it('keeps SNS subjects within 100 printable characters', () => {
    const s = snsSubject(`edgeqc rollout FAILED\n${'x'.repeat(200)}`);
    expect(s.length).toBeLessThanOrEqual(100);
    expect(s).not.toMatch(/\n/);
  });
});
