/**
 * The one-machine fleet: simulated core devices in thing groups, and the Greengrass deployment API over
 * them (CreateDeployment, GetDeployment, ListDeployments, ListCoreDevices, ListEffectiveDeployments,
 * ListInstalledComponents), in the API's shapes. A deployment to a thing group reaches each member
 * device, which applies it on its own; like Greengrass, a group's newest deployment replaces its
 * previous one, and the deployment itself stays ACTIVE while devices report per-device status.
 */
import { randomUUID } from 'node:crypto';
import type {
  CoreDevice as CoreDeviceSummary,
  Deployment,
  EffectiveDeployment,
  GetDeploymentResponse,
  InstalledComponent,
} from '@aws-sdk/client-greengrassv2';
import type { CoreDevice } from '../device/core-device.ts';
import type { DeviceDeployment } from '../device/device-deployment.ts';
import { LocalAdapterError } from '../errors.ts';
import { LOCAL_ACCOUNT } from './local-component-catalog.ts';

export interface LocalDeploymentRequest {
  readonly targetArn: string;
  readonly deploymentName?: string;
  readonly components: DeviceDeployment['components'];
  readonly deploymentPolicies?: { readonly failureHandlingPolicy?: 'ROLLBACK' | 'DO_NOTHING' };
}

interface Tracked {
  readonly response: GetDeploymentResponse;
  readonly applied: Promise<EffectiveDeployment[]>;
}

export class LocalFleet {
  readonly region: string;
  readonly #devices: readonly CoreDevice[];
  readonly #deployments = new Map<string, Tracked>();

  constructor(devices: readonly CoreDevice[], region = 'us-east-1') {
    this.#devices = devices;
    this.region = region;
  }

  get devices(): readonly CoreDevice[] {
    return this.#devices;
  }

  thingGroupArn(group: string): string {
    return `arn:aws:iot:${this.region}:${LOCAL_ACCOUNT}:thinggroup/${group}`;
  }

  device(thingName: string): CoreDevice {
    const d = this.#devices.find((x) => x.thingName === thingName);
    if (!d) throw new LocalAdapterError('THING_NOT_FOUND', `no core device named ${thingName} in the local fleet`);
    return d;
  }

  createDeployment(request: LocalDeploymentRequest): { deploymentId: string; iotJobId: string; iotJobArn: string } {
    const targets = this.#devices.filter((d) => d.isTargetedBy(request.targetArn));
    const deploymentId = randomUUID();
    const iotJobId = `local-job-${deploymentId}`;
    for (const t of this.#deployments.values()) {
      if (t.response.targetArn === request.targetArn) t.response.isLatestForTarget = false;
    }
    const response: GetDeploymentResponse = {
      targetArn: request.targetArn,
      revisionId: '1',
      deploymentId,
      deploymentName: request.deploymentName,
      deploymentStatus: 'ACTIVE',
      iotJobId,
      iotJobArn: `arn:aws:iot:${this.region}:${LOCAL_ACCOUNT}:job/${iotJobId}`,
      components: structuredClone(request.components) as GetDeploymentResponse['components'],
      deploymentPolicies: {
        failureHandlingPolicy: request.deploymentPolicies?.failureHandlingPolicy ?? 'ROLLBACK',
      },
      creationTimestamp: new Date(),
      isLatestForTarget: true,
    };
    const applied = Promise.all(
      targets.map((d) =>
        d.deploy({
          deploymentId,
          deploymentName: request.deploymentName,
          targetArn: request.targetArn,
          components: request.components,
          failureHandlingPolicy: request.deploymentPolicies?.failureHandlingPolicy ?? 'ROLLBACK',
        }),
      ),
    );
    this.#deployments.set(deploymentId, { response, applied });
    return { deploymentId, iotJobId, iotJobArn: response.iotJobArn! };
  }

  getDeployment(deploymentId: string): GetDeploymentResponse {
    const t = this.#deployments.get(deploymentId);
    if (!t) throw new LocalAdapterError('DEPLOYMENT_NOT_FOUND', `no deployment ${deploymentId} in the local fleet`);
    return structuredClone(t.response);
  }

  /** ListDeployments with historyFilter LATEST_ONLY for one target. */
  listDeployments(targetArn?: string): Deployment[] {
    return [...this.#deployments.values()]
      .map((t) => t.response)
      .filter((r) => r.isLatestForTarget && (!targetArn || r.targetArn === targetArn))
      .map((r) => ({
        targetArn: r.targetArn,
        revisionId: r.revisionId,
        deploymentId: r.deploymentId,
        deploymentName: r.deploymentName,
        creationTimestamp: r.creationTimestamp,
        deploymentStatus: r.deploymentStatus,
        isLatestForTarget: r.isLatestForTarget,
      }));
  }

  listCoreDevices(thingGroupArn?: string): CoreDeviceSummary[] {
    return this.#devices
      .filter((d) => !thingGroupArn || d.isTargetedBy(thingGroupArn))
      .map((d) => {
        const broken = d.listInstalledComponents().some((c) => c.lifecycleState === 'BROKEN');
        return {
          coreDeviceThingName: d.thingName,
          status: broken ? 'UNHEALTHY' : 'HEALTHY',
          lastStatusUpdateTimestamp: new Date(),
        };
      });
  }

  listEffectiveDeployments(thingName: string): EffectiveDeployment[] {
    return this.device(thingName).listEffectiveDeployments();
  }

  listInstalledComponents(thingName: string): InstalledComponent[] {
    return this.device(thingName).listInstalledComponents();
  }

  /** Resolves when every targeted device has finished applying the deployment (tests and demos). */
  async settled(deploymentId: string): Promise<EffectiveDeployment[]> {
    const t = this.#deployments.get(deploymentId);
    if (!t) throw new LocalAdapterError('DEPLOYMENT_NOT_FOUND', `no deployment ${deploymentId} in the local fleet`);
    return t.applied;
  }

  async close(): Promise<void> {
    await Promise.all(this.#devices.map((d) => d.close()));
  }
}
