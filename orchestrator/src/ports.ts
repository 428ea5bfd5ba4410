/**
 * Ports of the rollout: small interfaces the handlers' logic runs over. Production adapters (AWS SDK
 * v3) live in adapters/, the one-machine ones in the sim workspace (sim/src/adapters/). Adapters translate transient AWS failures into
 * ErrorNames.Throttled / ServiceUnavailable (see errors.ts) and return plain data, never SDK objects.
 */
import type { MetricsMessage } from '@edgeqc/edge-component/contracts';

export type { Signer } from '@edgeqc/model-component/signature';

export type ApprovalStatus = 'Approved' | 'Rejected' | 'PendingManualApproval';

export interface ModelPackage {
  readonly arn: string;
  readonly group: string;
  /** ModelPackageVersion: 1, 2, ... in registration order. */
  readonly version: number;
  readonly approvalStatus: ApprovalStatus;
  readonly createdAt: Date;
  /** Where the model file is: `s3://bucket/key` of the .onnx file (or a .tar.gz is NOT supported). */
  readonly modelDataUrl: string;
  /** CustomerMetadataProperties: modelName, modelVersion (semver), labels, source... */
  readonly metadata: Readonly<Record<string, string>>;
}

export interface RegisterModelInput {
  readonly group: string;
  readonly modelDataUrl: string;
  readonly description?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

/** SageMaker Model Registry. */
export interface ModelRegistry {
  /** Packages of a group, NEWEST FIRST (by creation), optionally only one approval status. */
  list(group: string, options?: { approvalStatus?: ApprovalStatus; maxResults?: number }): Promise<ModelPackage[]>;
  /** One package; ModelNotFound when it does not exist. */
  describe(arn: string): Promise<ModelPackage>;
  /** Registers a new version (PendingManualApproval); creates the group when missing. */
  register(input: RegisterModelInput): Promise<ModelPackage>;
  approve(arn: string, description?: string): Promise<void>;
}

export interface StoredObject {
  readonly uri: string;
  readonly sizeBytes: number;
  /** SHA-256 (hex) of the bytes, when the store knows it. */
  readonly sha256?: string;
}

/** S3 (versioned bucket, one prefix per component version). URIs are `s3://bucket/key`. */
export interface ArtifactStore {
  /**
   * Stores bytes immutably: the same bytes again are reused (`reused: true`), different bytes under
   * an existing URI are a VersionConflict.
   */
  put(uri: string, bytes: Uint8Array, options?: { contentType?: string }): Promise<StoredObject & { reused: boolean }>;
  get(uri: string): Promise<Uint8Array>;
  /** Undefined when nothing is stored there. */
  head(uri: string): Promise<StoredObject | undefined>;
}

export type ComponentState = 'REQUESTED' | 'INITIATED' | 'DEPLOYABLE' | 'FAILED' | 'DEPRECATED';

export interface ComponentVersion {
  readonly arn: string;
  readonly componentName: string;
  readonly componentVersion: string;
  readonly state: ComponentState;
  readonly message?: string;
  readonly errors?: Readonly<Record<string, string>>;
}

/** Greengrass v2 components. */
export interface ComponentCatalog {
  /**
   * CreateComponentVersion from recipe bytes. Idempotent: when the version exists with the same
   * recipe it is returned (`reused: true`); with a different recipe it is a VersionConflict.
   */
  createComponentVersion(recipe: Uint8Array): Promise<ComponentVersion & { reused: boolean }>;
  /** DescribeComponent; undefined when the version does not exist. */
  describeComponent(arn: string): Promise<ComponentVersion | undefined>;
}

/** One component in a deployment (Greengrass ComponentDeploymentSpecification, reduced). */
export interface ComponentSpec {
  readonly componentVersion: string;
  readonly configurationUpdate?: { readonly merge?: string; readonly reset?: readonly string[] };
  /** Greengrass ComponentRunWith: the POSIX user, system resource limits, Windows user. */
  readonly runWith?: {
    readonly posixUser?: string;
    readonly systemResourceLimits?: { readonly memory?: number; readonly cpus?: number };
    readonly windowsUser?: string;
  };
}

export interface DeploymentPolicies {
  readonly failureHandlingPolicy: 'ROLLBACK' | 'DO_NOTHING';
  readonly componentUpdatePolicy: {
    readonly action: 'NOTIFY_COMPONENTS' | 'SKIP_NOTIFY_COMPONENTS';
    readonly timeoutInSeconds: number;
  };
  readonly configurationValidationPolicy: { readonly timeoutInSeconds: number };
}

/** IoT job settings: staged rollout and abort on failures (Greengrass DeploymentIoTJobConfiguration). */
export interface JobConfiguration {
  readonly rollout?: {
    readonly maximumPerMinute?: number;
    readonly exponentialRate?: {
      readonly baseRatePerMinute: number;
      readonly incrementFactor: number;
      readonly rateIncreaseCriteria: {
        readonly numberOfNotifiedThings?: number;
        readonly numberOfSucceededThings?: number;
      };
    };
  };
  readonly abort?: readonly {
    readonly failureType: 'FAILED' | 'REJECTED' | 'TIMED_OUT' | 'ALL';
    readonly action: 'CANCEL';
    readonly thresholdPercentage: number;
    readonly minNumberOfExecutedThings: number;
  }[];
  readonly timeoutInMinutes?: number;
}

export interface DeploymentRequest {
  readonly targetArn: string;
  readonly deploymentName: string;
  /** Every component the group should run: component name -> spec (the whole set, not a delta). */
  readonly components: Readonly<Record<string, ComponentSpec>>;
  readonly policies: DeploymentPolicies;
  readonly jobConfiguration?: JobConfiguration;
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * CreateDeployment's idempotency token (1-64 of [a-zA-Z0-9-]): the same token again returns the same
   * deployment, so a retried Lambda makes no second one.
   */
  readonly clientToken?: string;
}

export interface DeploymentInfo {
  readonly deploymentId: string;
  readonly deploymentName?: string;
  readonly targetArn: string;
  /** ACTIVE, COMPLETED, CANCELED, FAILED, INACTIVE. A thing-group deployment stays ACTIVE. */
  readonly status: string;
  readonly components: Readonly<Record<string, ComponentSpec>>;
  readonly createdAt?: Date;
  readonly iotJobId?: string;
}

/** Per device: ListEffectiveDeployments entry. */
export interface EffectiveDeploymentInfo {
  readonly deploymentId: string;
  /** IN_PROGRESS, QUEUED, FAILED, COMPLETED, TIMED_OUT, CANCELED, REJECTED, SUCCEEDED. */
  readonly executionStatus: string;
  readonly reason?: string;
  readonly detailedStatus?: string;
  readonly modifiedAt?: Date;
}

export interface InstalledComponentInfo {
  readonly componentName: string;
  readonly componentVersion: string;
  /** NEW, INSTALLED, STARTING, RUNNING, STOPPING, ERRORED, BROKEN, FINISHED. */
  readonly lifecycleState: string;
}

/** Greengrass v2 deployments plus IoT thing-group membership. */
export interface DeploymentService {
  /** The ARN of an IoT thing group (DescribeThingGroup). */
  thingGroupArn(groupName: string): Promise<string>;
  /** Thing names in the group (ListThingsInThingGroup). */
  groupMembers(groupName: string): Promise<string[]>;
  /** The newest deployment for a target (ListDeployments LATEST_ONLY + GetDeployment), or undefined. */
  currentDeployment(targetArn: string): Promise<DeploymentInfo | undefined>;
  /**
   * Every deployment the target had, NEWEST FIRST (ListDeployments ALL), without components (GetDeployment
   * has them).
   */
  deploymentHistory(targetArn: string): Promise<Omit<DeploymentInfo, 'components'>[]>;
  createDeployment(request: DeploymentRequest): Promise<{ deploymentId: string; iotJobId?: string }>;
  getDeployment(deploymentId: string): Promise<DeploymentInfo>;
  /**
   * CancelDeployment: devices that have not applied it yet never will; devices that did keep it until a
   * newer deployment arrives. Canceling a deployment that is no longer ACTIVE is a no-op.
   */
  cancelDeployment(deploymentId: string): Promise<void>;
  listEffectiveDeployments(thingName: string): Promise<EffectiveDeploymentInfo[]>;
  listInstalledComponents(thingName: string): Promise<InstalledComponentInfo[]>;
}

/** The devices' retained status messages (edgeqc.status.v1 on edgeqc/<thing>/status). */
export interface FleetHealth {
  /** The parsed JSON payload of the retained status message, or undefined when there is none. */
  retainedStatus(thingName: string): Promise<unknown>;
}

/**
 * How devices' models behave on the line: their edgeqc.metrics.v1 messages (AWS: an IoT rule writes each
 * to DynamoDB, newest per device and version; locally: the fleet observer on the embedded broker).
 */
export interface BehaviourSource {
  /** The newest schema-valid edgeqc.metrics.v1 message of each device under each of the given model
   *  versions (at most one per device and version); messages that fail the schema are counted in
   *  `rejected`, never returned. */
  latest(query: { readonly thingNames: readonly string[]; readonly modelVersions: readonly string[] }): Promise<{
    readonly messages: readonly MetricsMessage[];
    readonly rejected: number;
  }>;
}

/** Rollout results to people (SNS). */
export interface Notifier {
  publish(subject: string, message: string, attributes?: Readonly<Record<string, string>>): Promise<void>;
}

/** The clock, injected so that deadlines are testable. */
export type Clock = () => Date;

/**
 * The IoT job behind a Greengrass deployment (IoT DescribeJob's jobProcessDetails): how many devices
 * are in each execution state. One call whatever the size of the fleet.
 */
export interface JobExecutionCounts {
  readonly succeeded: number;
  readonly failed: number;
  readonly timedOut: number;
  readonly rejected: number;
  readonly canceled: number;
  readonly removed: number;
  readonly queued: number;
  readonly inProgress: number;
}

export interface DeploymentJobProgress {
  /** IN_PROGRESS, CANCELED, COMPLETED, DELETION_IN_PROGRESS, SCHEDULED. */
  readonly status: string;
  readonly counts: JobExecutionCounts;
}

/** A deployment's IoT job, as counts (IoT DescribeJob). */
export interface DeploymentJobs {
  jobProgress(iotJobId: string): Promise<DeploymentJobProgress>;
}

/** Where the metrics ingest keeps the newest message of each device and model version (DynamoDB). */
export interface MetricsStore {
  /** Stores the message unless a newer one (by publishedAt) of the same device and version is there. */
  put(message: MetricsMessage): Promise<'stored' | 'older'>;
  /** Counts a rejected message against the device and version it claimed (BehaviourSource's `rejected`). */
  countRejected(thingName: string, modelVersion: string): Promise<void>;
}

/** The thing groups a device belongs to (IoT ListThingGroupsForThing). */
export interface ThingGroups {
  groupsOf(thingName: string): Promise<readonly string[]>;
}
