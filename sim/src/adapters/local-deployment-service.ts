/**
 * The DeploymentService port over the one-machine fleet: thing groups and their members, the group's
 * current deployment and its history, CreateDeployment (each member device applies it; a client token
 * seen before returns its deployment), CancelDeployment, and per-device status.
 * The IoT job's counts (DescribeJob) are derived from the devices' own view of the deployment.
 * Not simulated: the IoT job rollout rate and abort criteria (with a handful of devices every member
 * gets the deployment at once; the state machine's own fleet check decides).
 */

import { jobCountsFromStatuses } from '@edgeqc/orchestrator/job-counts';
import type {
  DeploymentInfo,
  DeploymentJobProgress,
  DeploymentJobs,
  DeploymentRequest,
  DeploymentService,
  EffectiveDeploymentInfo,
  InstalledComponentInfo,
} from '@edgeqc/orchestrator/ports';
import type { LocalFleet } from './local-fleet.ts';

export class LocalDeploymentService implements DeploymentService, DeploymentJobs {
  readonly #fleet: LocalFleet;

  constructor(fleet: LocalFleet) {
    this.#fleet = fleet;
  }

  async thingGroupArn(groupName: string): Promise<string> {
    return this.#fleet.thingGroupArn(groupName);
  }

  async groupMembers(groupName: string): Promise<string[]> {
    return this.#fleet.devices.filter((d) => d.thingGroups.includes(groupName)).map((d) => d.thingName);
  }

  async currentDeployment(targetArn: string): Promise<DeploymentInfo | undefined> {
    const latest = this.#fleet.listDeployments(targetArn)[0];
    return latest?.deploymentId ? this.getDeployment(latest.deploymentId) : undefined;
  }

  async deploymentHistory(targetArn: string): Promise<Omit<DeploymentInfo, 'components'>[]> {
    return this.#fleet.listDeployments(targetArn, 'ALL').map((d) => ({
      deploymentId: d.deploymentId ?? '',
      deploymentName: d.deploymentName,
      targetArn: d.targetArn ?? targetArn,
      status: d.deploymentStatus ?? 'ACTIVE',
      createdAt: d.creationTimestamp,
    }));
  }

  async cancelDeployment(deploymentId: string): Promise<void> {
    this.#fleet.cancelDeployment(deploymentId);
  }

  async createDeployment(request: DeploymentRequest): Promise<{ deploymentId: string; iotJobId?: string }> {
    const components = Object.fromEntries(
      Object.entries(request.components).map(([name, spec]) => [
        name,
        {
          componentVersion: spec.componentVersion,
          configurationUpdate: spec.configurationUpdate && {
            merge: spec.configurationUpdate.merge,
            reset: spec.configurationUpdate.reset ? [...spec.configurationUpdate.reset] : undefined,
          },
        },
      ]),
    );
    const { deploymentId, iotJobId } = this.#fleet.createDeployment({
      targetArn: request.targetArn,
      deploymentName: request.deploymentName,
      components,
      deploymentPolicies: { failureHandlingPolicy: request.policies.failureHandlingPolicy },
      clientToken: request.clientToken,
    });
    return { deploymentId, iotJobId };
  }

  async getDeployment(deploymentId: string): Promise<DeploymentInfo> {
    const d = this.#fleet.getDeployment(deploymentId);
    return {
      deploymentId,
      deploymentName: d.deploymentName,
      targetArn: d.targetArn ?? '',
      status: d.deploymentStatus ?? 'ACTIVE',
      components: Object.fromEntries(
        Object.entries(d.components ?? {}).map(([name, spec]) => [
          name,
          {
            componentVersion: spec.componentVersion ?? '',
            configurationUpdate: spec.configurationUpdate
              ? { merge: spec.configurationUpdate.merge, reset: spec.configurationUpdate.reset }
              : undefined,
          },
        ]),
      ),
      createdAt: d.creationTimestamp,
      iotJobId: d.iotJobId,
    };
  }

  async listEffectiveDeployments(thingName: string): Promise<EffectiveDeploymentInfo[]> {
    return this.#fleet.listEffectiveDeployments(thingName).map((d) => ({
      deploymentId: d.deploymentId ?? '',
      executionStatus: d.coreDeviceExecutionStatus ?? 'QUEUED',
      reason: d.reason,
      detailedStatus: d.statusDetails?.errorStack?.join(', ') || undefined,
      modifiedAt: d.modifiedTimestamp,
    }));
  }

  async listInstalledComponents(thingName: string): Promise<InstalledComponentInfo[]> {
    return this.#fleet.listInstalledComponents(thingName).map((c) => ({
      componentName: c.componentName ?? '',
      componentVersion: c.componentVersion ?? '',
      lifecycleState: c.lifecycleState ?? 'NEW',
    }));
  }

  /** DescribeJob's counts for `local-job-<deploymentId>`: each targeted device's effective deployment. */
  async jobProgress(iotJobId: string): Promise<DeploymentJobProgress> {
    const deploymentId = iotJobId.replace(/^local-job-/, '');
    const d = this.#fleet.getDeployment(deploymentId);
    const counts = jobCountsFromStatuses(
      this.#fleet.devices
        .filter((x) => x.isTargetedBy(d.targetArn ?? ''))
        .map(
          (device) =>
            this.#fleet.listEffectiveDeployments(device.thingName).find((x) => x.deploymentId === deploymentId)
              ?.coreDeviceExecutionStatus,
        ),
    );
    return { status: d.deploymentStatus === 'CANCELED' ? 'CANCELED' : 'IN_PROGRESS', counts };
  }
}
