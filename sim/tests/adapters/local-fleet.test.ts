/**
 * The local fleet's Greengrass deployment API over stand-in devices (only what the fleet calls): client
 * tokens, cancel before a device started a deployment, the history newest first.
 */
import type { EffectiveDeployment } from '@aws-sdk/client-greengrassv2';
import { describe, expect, it } from 'vitest';
import { LocalDeploymentService } from '../../src/adapters/local-deployment-service.ts';
import { LocalFleet } from '../../src/adapters/local-fleet.ts';
import type { CoreDevice } from '../../src/device/core-device.ts';
import type { DeviceDeployment } from '../../src/device/device-deployment.ts';

/** A device that applies each deployment when `release()` is called, one at a time. */
function standInDevice(thingName: string, group: string) {
  const applied: string[] = [];
  const gates: (() => void)[] = [];
  const device = {
    thingName,
    thingGroups: [group],
    isTargetedBy: (arn: string) => arn.endsWith(`/${group}`),
    deploy: async (d: DeviceDeployment): Promise<EffectiveDeployment> => {
      await new Promise<void>((resolve) => gates.push(resolve));
      applied.push(d.deploymentId);
      const now = new Date();
      return {
        deploymentId: d.deploymentId,
        deploymentName: d.deploymentName,
        targetArn: d.targetArn,
        coreDeviceExecutionStatus: 'SUCCEEDED',
        creationTimestamp: now,
        modifiedTimestamp: now,
      };
    },
    close: async () => {},
  };
  const release = async () => {
    while (gates.length === 0) await new Promise((r) => setTimeout(r, 5));
    gates.shift()?.();
  };
  return { device: device as unknown as CoreDevice, applied, release };
}

const policies = {
  failureHandlingPolicy: 'ROLLBACK' as const,
  componentUpdatePolicy: { action: 'NOTIFY_COMPONENTS' as const, timeoutInSeconds: 60 },
  configurationValidationPolicy: { timeoutInSeconds: 30 },
};

describe('local fleet deployments', () => {
  it('a client token seen before returns its deployment; cancel stops a device that had not started it', async () => {
    const d = standInDevice('line-1', 'fleet');
    const fleet = new LocalFleet([d.device]);
    const service = new LocalDeploymentService(fleet);
    const targetArn = fleet.thingGroupArn('fleet');
    const request = (name: string, clientToken: string) => ({
      targetArn,
      deploymentName: name,
      components: { 'com.edgeqc.Model.tag-scratch': { componentVersion: '1.0.0' } },
      policies,
      clientToken,
    });
    const first = await service.createDeployment(request('first', 'token-1'));
    expect((await service.createDeployment(request('first', 'token-1'))).deploymentId).toBe(first.deploymentId);
    // The device is busy with `first`; `second` waits in its queue and is canceled there.
    const second = await service.createDeployment(request('second', 'token-2'));
    await service.cancelDeployment(second.deploymentId);
    const third = await service.createDeployment(request('third', 'token-3'));
    await d.release();
    await d.release();
    await fleet.settled(third.deploymentId);
    expect(d.applied).toEqual([first.deploymentId, third.deploymentId]);
    expect((await service.getDeployment(second.deploymentId)).status).toBe('CANCELED');
    expect((await service.deploymentHistory(targetArn)).map((h) => h.deploymentName)).toEqual([
      'third',
      'second',
      'first',
    ]);
    expect((await service.currentDeployment(targetArn))?.deploymentName).toBe('third');
  });

  it("counts a deployment's IoT job from the devices' own view of it (the fleet check's DescribeJob)", async () => {
    const seen = new Map<string, EffectiveDeployment[]>();
    const device = (thingName: string, outcome: 'SUCCEEDED' | 'FAILED') =>
      ({
        thingName,
        thingGroups: ['fleet'],
        isTargetedBy: (arn: string) => arn.endsWith('/fleet'),
        deploy: async (d: DeviceDeployment): Promise<EffectiveDeployment> => {
          const at = new Date();
          const e: EffectiveDeployment = {
            deploymentId: d.deploymentId,
            deploymentName: 'rollout',
            targetArn: 'arn:aws:iot:eu-west-1:123456789012:thinggroup/fleet',
            coreDeviceExecutionStatus: outcome,
            creationTimestamp: at,
            modifiedTimestamp: at,
          };
          seen.set(thingName, [e]);
          return e;
        },
        listEffectiveDeployments: () => seen.get(thingName) ?? [],
        close: async () => {},
      }) as unknown as CoreDevice;
    const fleet = new LocalFleet([
      device('line-1', 'SUCCEEDED'),
      device('line-2', 'FAILED'),
      device('line-3', 'SUCCEEDED'),
    ]);
    const service = new LocalDeploymentService(fleet);
    const { deploymentId, iotJobId } = await service.createDeployment({
      targetArn: fleet.thingGroupArn('fleet'),
      deploymentName: 'release',
      components: { 'com.edgeqc.Model.tag-scratch': { componentVersion: '1.0.0' } },
      policies,
    });
    await fleet.settled(deploymentId);
    expect(await service.jobProgress(iotJobId ?? '')).toEqual({
      status: 'IN_PROGRESS',
      counts: { succeeded: 2, failed: 1, timedOut: 0, rejected: 0, canceled: 0, removed: 0, queued: 0, inProgress: 0 },
    });
  });
});
