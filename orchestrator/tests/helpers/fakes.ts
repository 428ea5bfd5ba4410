/** In-memory fakes behind the ports, for handler tests without AWS. */
import type {
  DeploymentInfo,
  DeploymentJobProgress,
  DeploymentJobs,
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

/**
 * Greengrass deployments in memory: `dep-<n>` in creation order, a client token seen before returns its
 * deployment (as CreateDeployment does), CancelDeployment marks it CANCELED.
 */
export class FakeFleet implements DeploymentService, FleetHealth, DeploymentJobs {
  readonly groups = new Map<string, string[]>();
  readonly devices = new Map<string, FakeDevice>();
  readonly created: DeploymentRequest[] = [];
  readonly canceled: string[] = [];
  /** CreateDeployment calls, including the ones a client token answered. */
  createCalls = 0;
  deploymentStatus = 'ACTIVE';

  async thingGroupArn(groupName: string) {
    return `arn:aws:iot:us-east-1:123456789012:thinggroup/${groupName}`;
  }
  async groupMembers(groupName: string) {
    return this.groups.get(groupName) ?? [];
  }
  async currentDeployment(targetArn: string): Promise<DeploymentInfo | undefined> {
    const last = this.created.filter((r) => r.targetArn === targetArn).at(-1);
    return last ? this.getDeployment(`dep-${this.created.indexOf(last)}`) : undefined;
  }
  async deploymentHistory(targetArn: string) {
    return this.created
      .map((r, i) => ({ r, i }))
      .filter(({ r }) => r.targetArn === targetArn)
      .reverse()
      .map(({ r, i }) => ({
        deploymentId: `dep-${i}`,
        deploymentName: r.deploymentName,
        targetArn,
        status: this.statusOf(`dep-${i}`),
      }));
  }
  async createDeployment(request: DeploymentRequest) {
    this.createCalls++;
    const same = request.clientToken ? this.created.findIndex((r) => r.clientToken === request.clientToken) : -1;
    if (same >= 0) return { deploymentId: `dep-${same}` };
    this.created.push(request);
    return { deploymentId: `dep-${this.created.length - 1}` };
  }
  async getDeployment(deploymentId: string): Promise<DeploymentInfo> {
    const r = this.created[Number(deploymentId.slice('dep-'.length))];
    return {
      deploymentId,
      deploymentName: r?.deploymentName,
      targetArn: r?.targetArn ?? '',
      status: this.statusOf(deploymentId),
      components: r?.components ?? {},
      iotJobId: `job-${deploymentId}`,
    };
  }
  /** The IoT job's counts, derived from each device's effective deployment (none yet: queued). */
  async jobProgress(iotJobId: string): Promise<DeploymentJobProgress> {
    const deploymentId = iotJobId.slice('job-'.length);
    const target = this.created[Number(deploymentId.slice('dep-'.length))]?.targetArn ?? '';
    const group = target.slice(target.lastIndexOf('/') + 1);
    const counts = jobCountsFromStatuses(
      (this.groups.get(group) ?? []).map(
        (thing) => this.devices.get(thing)?.effective.find((d) => d.deploymentId === deploymentId)?.executionStatus,
      ),
    );
    return { status: this.statusOf(deploymentId) === 'CANCELED' ? 'CANCELED' : 'IN_PROGRESS', counts };
  }
  async cancelDeployment(deploymentId: string) {
    this.canceled.push(deploymentId);
  }
  private statusOf(deploymentId: string): string {
    return this.canceled.includes(deploymentId) ? 'CANCELED' : this.deploymentStatus;
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

import { createHash } from 'node:crypto';
import { jobCountsFromStatuses } from '../../src/domain/job-counts.ts';
import { ErrorNames, RolloutError } from '../../src/errors.ts';
import type {
  ArtifactStore,
  ComponentCatalog,
  ComponentVersion,
  ModelPackage,
  ModelRegistry,
} from '../../src/ports.ts';

export class MemoryStore implements ArtifactStore {
  readonly objects = new Map<string, Uint8Array>();
  async put(uri: string, bytes: Uint8Array) {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const old = this.objects.get(uri);
    if (old) {
      if (createHash('sha256').update(old).digest('hex') !== sha256) {
        throw new RolloutError(ErrorNames.VersionConflict, 'ARTIFACT_IMMUTABLE', `${uri} holds different bytes`);
      }
      return { uri, sizeBytes: bytes.length, sha256, reused: true };
    }
    this.objects.set(uri, bytes);
    return { uri, sizeBytes: bytes.length, sha256, reused: false };
  }
  async get(uri: string) {
    const b = this.objects.get(uri);
    if (!b) throw new RolloutError(ErrorNames.ModelNotFound, 'ARTIFACT_NOT_FOUND', `nothing at ${uri}`);
    return b;
  }
  async head(uri: string) {
    const b = this.objects.get(uri);
    return b ? { uri, sizeBytes: b.length } : undefined;
  }
}

export class MemoryRegistry implements ModelRegistry {
  readonly packages: ModelPackage[] = [];
  async list(group: string, o: { approvalStatus?: string } = {}) {
    return this.packages
      .filter((p) => p.group === group && (!o.approvalStatus || p.approvalStatus === o.approvalStatus))
      .reverse();
  }
  async describe(arn: string) {
    const p = this.packages.find((x) => x.arn === arn);
    if (!p) throw new RolloutError(ErrorNames.ModelNotFound, 'MODEL_PACKAGE_NOT_FOUND', arn);
    return p;
  }
  async register(input: { group: string; modelDataUrl: string; metadata?: Readonly<Record<string, string>> }) {
    const version = this.packages.filter((p) => p.group === input.group).length + 1;
    const p: ModelPackage = {
      arn: `arn:aws:sagemaker:us-east-1:123456789012:model-package/${input.group}/${version}`,
      group: input.group,
      version,
      approvalStatus: 'PendingManualApproval',
      createdAt: new Date(Date.UTC(2026, 10, 23, 0, version)),
      modelDataUrl: input.modelDataUrl,
      metadata: input.metadata ?? {},
    };
    this.packages.push(p);
    return p;
  }
  async approve(arn: string) {
    const i = this.packages.findIndex((x) => x.arn === arn);
    const p = this.packages[i];
    if (p) this.packages[i] = { ...p, approvalStatus: 'Approved' };
  }
}

export class MemoryCatalog implements ComponentCatalog {
  readonly versions = new Map<string, { recipe: string; c: ComponentVersion }>();
  async createComponentVersion(recipe: Uint8Array) {
    const text = new TextDecoder().decode(recipe);
    const r = JSON.parse(text) as { ComponentName: string; ComponentVersion: string };
    const arn = `arn:aws:greengrass:us-east-1:123456789012:components:${r.ComponentName}:versions:${r.ComponentVersion}`;
    const old = this.versions.get(arn);
    if (old) {
      if (old.recipe !== text) throw new RolloutError(ErrorNames.VersionConflict, 'COMPONENT_VERSION_EXISTS', arn);
      return { ...old.c, reused: true };
    }
    const c: ComponentVersion = {
      arn,
      componentName: r.ComponentName,
      componentVersion: r.ComponentVersion,
      state: 'DEPLOYABLE',
    };
    this.versions.set(arn, { recipe: text, c });
    return { ...c, reused: false };
  }
  async describeComponent(arn: string) {
    return this.versions.get(arn)?.c;
  }
}
