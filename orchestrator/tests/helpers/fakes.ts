/** In-memory fakes behind the ports, for handler tests without AWS. */
import type {
  DeploymentInfo,
  DeploymentRequest,
  DeploymentService,
  EffectiveDeploymentInfo,
  FleetHealth,
  InstalledComponentInfo,
} from '../../src/ports.ts';

export interface FakeDevice {
  effective: EffectiveDeploymentInfo[];
  installed: InstalledComponentInfo[];
  status?: unknown;
}

export class FakeFleet implements DeploymentService, FleetHealth {
  readonly groups = new Map<string, string[]>();
  readonly devices = new Map<string, FakeDevice>();
  readonly created: DeploymentRequest[] = [];
  deploymentStatus = 'ACTIVE';

  async thingGroupArn(groupName: string) {
    return `arn:aws:iot:us-east-1:123456789012:thinggroup/${groupName}`;
  }
  async groupMembers(groupName: string) {
    return this.groups.get(groupName) ?? [];
  }
  async currentDeployment(targetArn: string): Promise<DeploymentInfo | undefined> {
    const last = this.created.filter((r) => r.targetArn === targetArn).at(-1);
    return last
      ? { deploymentId: `dep-${this.created.indexOf(last)}`, targetArn, status: 'ACTIVE', components: last.components }
      : undefined;
  }
  async createDeployment(request: DeploymentRequest) {
    this.created.push(request);
    return { deploymentId: `dep-${this.created.length - 1}` };
  }
  async getDeployment(deploymentId: string): Promise<DeploymentInfo> {
    return { deploymentId, targetArn: '', status: this.deploymentStatus, components: {} };
  }
  async listEffectiveDeployments(thing: string) {
    return this.devices.get(thing)?.effective ?? [];
  }
  async listInstalledComponents(thing: string) {
    return this.devices.get(thing)?.installed ?? [];
  }
  async retainedStatus(thing: string) {
    return this.devices.get(thing)?.status;
  }
}
