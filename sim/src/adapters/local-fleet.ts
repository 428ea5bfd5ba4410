/**
 * The one-machine fleet: simulated core devices in thing groups, and the Greengrass deployment API over
 * them (CreateDeployment, GetDeployment, ListDeployments, ListCoreDevices, ListEffectiveDeployments,
 * ListInstalledComponents, CancelDeployment), in the API's shapes. A deployment to a thing group reaches
 * each member device, which applies it on its own, one deployment after another; like Greengrass, a
 * group's newest deployment replaces its previous one, the deployment itself stays ACTIVE while devices
 * report per-device status, a client token seen before returns the deployment it made, and a canceled
 * deployment is never applied by a device that had not started it (devices that did keep it until the
 * next deployment, e.g. the previous one redeployed).
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
  /** CreateDeployment's idempotency token. */
  readonly clientToken?: string;
}

interface Tracked {
  readonly response: GetDeploymentResponse;
  readonly applied: Promise<EffectiveDeployment[]>;
}

export class LocalFleet {
  readonly region: string;
  readonly #devices: readonly CoreDevice[];
  readonly #deployments = new Map<string, Tracked>();
  readonly #byClientToken = new Map<string, string>();
  /** Per device: the deployments it has been handed, applied one after another. */
  readonly #deviceQueues = new Map<string, Promise<unknown>>();

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
    const known = request.clientToken ? this.#byClientToken.get(request.clientToken) : undefined;
    const existing = known ? this.#deployments.get(known) : undefined;
    if (existing) {
      const r = existing.response;
      return { deploymentId: r.deploymentId ?? '', iotJobId: r.iotJobId ?? '', iotJobArn: r.iotJobArn ?? '' };
    }
    const targets = this.#devices.filter((d) => d.isTargetedBy(request.targetArn));
    const deploymentId = randomUUID();
    if (request.clientToken) this.#byClientToken.set(request.clientToken, deploymentId);
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
    this.#deployments.set(deploymentId, { response, applied: Promise.resolve([]) });
    const applied = Promise.all(
      targets.map((d) => {
        const turn = (this.#deviceQueues.get(d.thingName) ?? Promise.resolve()).then(
          async (): Promise<EffectiveDeployment | undefined> => {
            // Canceled before this device started it: the device never applies it.
            if (response.deploymentStatus === 'CANCELED') return undefined;
            return d.deploy({
              deploymentId,
              deploymentName: request.deploymentName,
              targetArn: request.targetArn,
              components: request.components,
              failureHandlingPolicy: request.deploymentPolicies?.failureHandlingPolicy ?? 'ROLLBACK',
            });
          },
        );
        this.#deviceQueues.set(
          d.thingName,
          turn.catch(() => undefined),
        );
        return turn;
      }),
    ).then((all) => all.filter((e): e is EffectiveDeployment => e !== undefined));
    this.#deployments.set(deploymentId, { response, applied });
    return { deploymentId, iotJobId, iotJobArn: response.iotJobArn! };
  }

  /** CancelDeployment: a no-op on a deployment that is no longer ACTIVE, like Greengrass' outcome. */
  cancelDeployment(deploymentId: string): void {
    const t = this.#deployments.get(deploymentId);
    if (!t) throw new LocalAdapterError('DEPLOYMENT_NOT_FOUND', `no deployment ${deploymentId} in the local fleet`);
    if (t.response.deploymentStatus === 'ACTIVE') t.response.deploymentStatus = 'CANCELED';
  }

  getDeployment(deploymentId: string): GetDeploymentResponse {
    const t = this.#deployments.get(deploymentId);
    if (!t) throw new LocalAdapterError('DEPLOYMENT_NOT_FOUND', `no deployment ${deploymentId} in the local fleet`);
    return structuredClone(t.response);
  }

  /** ListDeployments for one target (or all): LATEST_ONLY by default, ALL newest first. */
  listDeployments(targetArn?: string, historyFilter: 'LATEST_ONLY' | 'ALL' = 'LATEST_ONLY'): Deployment[] {
    return [...this.#deployments.values()]
      .map((t) => t.response)
      .filter((r) => (historyFilter === 'ALL' || r.isLatestForTarget) && (!targetArn || r.targetArn === targetArn))
      .reverse()
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
