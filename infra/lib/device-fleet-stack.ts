/**
 * The device fleet stack ("simulating devices on EC2"): N EC2 instances, each a Greengrass core device
 * provisioned by its user data into the canary (the first `canaryCount`) or the fleet thing group, with
 * a simulated camera. No SSH keys and no inbound rules: operators use SSM Session Manager. The AMI is
 * the latest Amazon Linux 2023 from its public SSM parameter (no AMI ids in the template).
 *
 * Least privilege: each device has its own instance role whose standing rights are SSM and reading the
 * camera samples. Provisioning rights (create a certificate, attach the policies, add the thing to its
 * groups) live in a one-time bootstrap policy per device: bound to that one instance
 * (`ec2:SourceInstanceARN`), scoped to that one thing and its groups, and deleted by the device's user
 * data as soon as provisioning is done (or has failed). A compromised device can therefore not mint an
 * identity, attach a certificate to another thing or move a thing into the canary group. IMDS is closed
 * to the Greengrass component user (nftables) and limited to one hop.
 *
 * The fleet's own Greengrass deployment (to the `baseGroup` every device joins) configures the nucleus:
 * the disk spooler (the MQTT spool survives a nucleus restart or power loss) and
 * `interpolateComponentConfiguration`.
 */
import { createHash } from 'node:crypto';
import { Stack, type StackProps } from 'aws-cdk-lib';
import {
  BlockDeviceVolume,
  EbsDeviceVolumeType,
  FlowLogDestination,
  HttpTokens,
  Instance,
  InstanceType,
  MachineImage,
  SecurityGroup,
  SubnetType,
  UserData,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import { CfnDeployment } from 'aws-cdk-lib/aws-greengrassv2';
import { ManagedPolicy, Policy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnThingGroup } from 'aws-cdk-lib/aws-iot';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { BucketPrefixes, componentBucketName } from './constructs/component-bucket.ts';
import { deviceUserDataCommands } from './constructs/device-user-data.ts';
import { GreengrassDevicePolicies } from './constructs/greengrass-device-policies.ts';
import { InspectionUploads } from './constructs/inspection-uploads.ts';
import { acknowledge, acknowledgeWildcards } from './constructs/nag.ts';

/** The SSM parameter of the latest Amazon Linux 2023 AMI (x86_64). */
export const AMI_PARAMETER = '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64';
/**
 * The Greengrass nucleus the devices install, pinned: the fleet's deployment names the same version
 * (a deployment that names another version would update or downgrade the nucleus). 2.15.1 is within the
 * disk spooler's nucleus range (>=2.11.0 <2.16.0 for DiskSpooler 1.0.6).
 */
export const NUCLEUS_VERSION = '2.15.1';
export const NUCLEUS_URL = `https://d2s8p88vqu9w66.cloudfront.net/releases/greengrass-${NUCLEUS_VERSION}.zip`;
/** aws.greengrass.DiskSpooler: a plugin (runs inside the nucleus JVM) that keeps the MQTT spool on disk. */
export const DISK_SPOOLER_VERSION = '1.0.6';
/** Disk spool size: room for ~500 maximum-size (128 KB) messages, far more of the agent's small ones. */
export const SPOOLER_MAX_BYTES = 64 * 1024 * 1024;
/** Name prefix of the per-instance bootstrap policy (`<prefix><instance id>`). */
export const BOOTSTRAP_POLICY_PREFIX = 'EdgeqcDeviceBootstrap-';
/** Actions only the bootstrap policy may hold: they mint or re-bind device identities. */
export const IDENTITY_ACTIONS = [
  'iot:CreateKeysAndCertificate',
  'iot:CreateCertificateFromCsr',
  'iot:AttachPolicy',
  'iot:AttachThingPrincipal',
  'iot:AddThingToThingGroup',
] as const;

/** The nucleus configuration merged by the fleet's deployment. */
export function nucleusConfiguration(): Record<string, unknown> {
  return {
    // See nucleusInitConfig in device-user-data.ts: kept here so that a deployment never drops it.
    interpolateComponentConfiguration: true,
    mqtt: {
      spooler: {
        // Disk storage needs the aws.greengrass.DiskSpooler plugin in the same deployment (nucleus
        // 2.11.0+); without the plugin the nucleus spools in memory (2.5 MB by default), lost on restart.
        storageType: 'Disk',
        pluginName: 'aws.greengrass.DiskSpooler',
        maxSizeInBytes: SPOOLER_MAX_BYTES,
        // QoS 0 messages are dropped while offline (the agent publishes at QoS 1).
        keepQos0WhenOffline: false,
      },
    },
  };
}
export const DEFAULT_CAMERA_DIR = '/var/lib/edgeqc/camera';

export interface DeviceFleetStackProps extends StackProps {
  /** The component bucket (artifacts under components/, camera samples under samples/). Default: the pipeline stack's (componentBucketName). */
  readonly bucketName?: string;
  readonly canaryGroup: string;
  readonly fleetGroup: string;
  /** The thing group of the fleet's own deployment (nucleus configuration, disk spooler), created here. Default `edgeqc-devices`. */
  readonly baseGroup?: string;
  /** Number of simulated devices (1..50). Default 3. */
  readonly deviceCount?: number;
  /** How many of them are canaries (at least 1, fewer than deviceCount unless deviceCount is 1). Default 1. */
  readonly canaryCount?: number;
  /** Default t3.small (Greengrass + Java + the Node agent need ~1 GB). */
  readonly instanceType?: string;
  /** Default /var/lib/edgeqc/camera (the inference component's cameraDir). */
  readonly cameraDir?: string;
  /** Seconds between simulated camera shots. Default 5. */
  readonly shotIntervalSeconds?: number;
}

export class DeviceFleetStack extends Stack {
  readonly instances: Instance[] = [];
  readonly thingNames: string[] = [];
  /** Each device's own instance role (standing rights: SSM, camera samples). */
  readonly roles: Role[] = [];
  /** Each device's one-time bootstrap policy (deleted by the device after provisioning). */
  readonly bootstrapPolicies: Policy[] = [];
  readonly policies: GreengrassDevicePolicies;
  /** The bucket devices upload inspections to (the review stack reads it); the token exchange role may put under its own thing's prefix. */
  readonly inspectionUploads: InspectionUploads;
  readonly baseGroupName: string;

  constructor(scope: Construct, id: string, props: DeviceFleetStackProps) {
    super(scope, id, props);
    const deviceCount = props.deviceCount ?? 3;
    const canaryCount = props.canaryCount ?? 1;
    if (!Number.isInteger(deviceCount) || deviceCount < 1 || deviceCount > 50) {
      throw new Error(`deviceCount ${deviceCount} is not an integer from 1 to 50`);
    }
    if (!Number.isInteger(canaryCount) || canaryCount < 1 || canaryCount > deviceCount) {
      throw new Error(`canaryCount ${canaryCount} is not an integer from 1 to deviceCount (${deviceCount})`);
    }

    const flowLogs = new LogGroup(this, 'VpcFlowLogs', { retention: RetentionDays.ONE_MONTH });
    const vpc = new Vpc(this, 'Vpc', {
      maxAzs: 1,
      natGateways: 0,
      subnetConfiguration: [{ name: 'devices', subnetType: SubnetType.PUBLIC, cidrMask: 24 }],
      flowLogs: { all: { destination: FlowLogDestination.toCloudWatchLogs(flowLogs) } },
    });
    const securityGroup = new SecurityGroup(this, 'Devices', {
      vpc,
      description: 'edgeqc simulated devices: no inbound traffic, outbound HTTPS/MQTT to AWS',
      allowAllOutbound: true,
    });

    const bucket = Bucket.fromBucketName(this, 'ComponentBucket', props.bucketName ?? componentBucketName(this));
    this.policies = new GreengrassDevicePolicies(this, 'Greengrass', {
      bucket,
      namePrefix: 'Edgeqc',
    });
    this.inspectionUploads = new InspectionUploads(this, 'InspectionUploads', {
      deviceRoles: [this.policies.tokenExchangeRole],
    });

    this.baseGroupName = props.baseGroup ?? 'edgeqc-devices';
    const baseGroup = new CfnThingGroup(this, 'BaseGroup', {
      thingGroupName: this.baseGroupName,
      thingGroupProperties: {
        thingGroupDescription: 'edgeqc simulated devices: the fleet deployment (nucleus configuration)',
      },
    });
    new CfnDeployment(this, 'FleetNucleusDeployment', {
      targetArn: baseGroup.attrArn,
      deploymentName: 'edgeqc-devices-nucleus',
      components: {
        'aws.greengrass.Nucleus': {
          componentVersion: NUCLEUS_VERSION,
          configurationUpdate: { merge: JSON.stringify(nucleusConfiguration()) },
        },
        'aws.greengrass.DiskSpooler': { componentVersion: DISK_SPOOLER_VERSION },
      },
      deploymentPolicies: { failureHandlingPolicy: 'ROLLBACK' },
    });

    const iotArn = (resource: string, name: string) => this.formatArn({ service: 'iot', resource, resourceName: name });
    const samples = bucket.arnForObjects(`${BucketPrefixes.samples}*`);
    const cameraDir = props.cameraDir ?? DEFAULT_CAMERA_DIR;
    for (let i = 0; i < deviceCount; i++) {
      const thingName = `edgeqc-device-${i}`;
      const group = i < canaryCount ? props.canaryGroup : props.fleetGroup;

      // The standing role: SSM Session Manager and the camera samples, nothing in AWS IoT or IAM.
      const role = new Role(this, `Device${i}Role`, {
        assumedBy: new ServicePrincipal('ec2.amazonaws.com'),
        description: `edgeqc simulated device ${i}: SSM and camera samples (provisioning rights are one-time)`,
        managedPolicies: [ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
      });
      role.addToPolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: [samples] }));
      role.addToPolicy(
        new PolicyStatement({
          actions: ['s3:ListBucket'],
          resources: [bucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': [`${BucketPrefixes.samples}*`] } },
        }),
      );
      acknowledge(role, {
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]':
          'The AWS-maintained minimum for SSM Session Manager (the only way in: no SSH keys, no inbound rules).',
      });
      acknowledgeWildcards(role, [samples], 'The camera simulator reads the samples/ prefix only.');

      const bootstrapStatements = (instanceArn: string) =>
        this.bootstrapStatements({ iotArn, thingName, groups: [group, this.baseGroupName], role, instanceArn });
      const digest = createHash('sha256')
        .update(JSON.stringify(this.resolve(bootstrapStatements('<instance>').map((st) => st.toStatementJson()))))
        .digest('hex')
        .slice(0, 16);

      const userData = UserData.forLinux();
      userData.addCommands(
        ...deviceUserDataCommands({
          region: this.region,
          thingName,
          thingGroup: group,
          baseThingGroup: this.baseGroupName,
          thingPolicyName: this.policies.thingPolicyName,
          tesRoleName: this.policies.tokenExchangeRole.roleName,
          tesRoleAliasName: this.policies.roleAliasName,
          instanceRoleName: role.roleName,
          bootstrapPolicyPrefix: BOOTSTRAP_POLICY_PREFIX,
          bootstrapPolicyDigest: digest,
          samplesUri: bucket.s3UrlForObject(BucketPrefixes.samples),
          cameraDir,
          shotIntervalSeconds: props.shotIntervalSeconds ?? 5,
          nucleusUrl: NUCLEUS_URL,
        }),
      );
      const instance = new Instance(this, `Device${i}`, {
        vpc,
        vpcSubnets: { subnetType: SubnetType.PUBLIC },
        instanceType: new InstanceType(props.instanceType ?? 't3.small'),
        machineImage: MachineImage.fromSsmParameter(AMI_PARAMETER),
        role,
        securityGroup,
        userData,
        // User data runs once, at first boot: a change (including the bootstrap policy's digest) means a
        // new instance, which provisions again under a new bootstrap policy (named by its instance id).
        userDataCausesReplacement: true,
        // IMDSv2 only, and one hop: a container or forwarded packet on the device cannot reach it.
        httpTokens: HttpTokens.REQUIRED,
        httpPutResponseHopLimit: 1,
        detailedMonitoring: true,
        associatePublicIpAddress: true,
        blockDevices: [
          {
            deviceName: '/dev/xvda',
            volume: BlockDeviceVolume.ebs(16, { encrypted: true, volumeType: EbsDeviceVolumeType.GP3 }),
          },
        ],
      });
      instance.node.addDependency(this.policies);
      acknowledge(instance, {
        'AwsSolutions-EC29':
          'Simulated devices are disposable (re-created from user data); termination protection would only ' +
          'block `cdk destroy`.',
      });

      // The one-time bootstrap policy: created after its instance (its name carries the instance id, so a
      // replaced instance gets a new one), usable only from that instance, deleted by it after provisioning.
      const instanceArn = this.formatArn({ service: 'ec2', resource: 'instance', resourceName: instance.instanceId });
      const bootstrap = new Policy(this, `Device${i}Bootstrap`, {
        policyName: `${BOOTSTRAP_POLICY_PREFIX}${instance.instanceId}`,
        roles: [role],
        statements: bootstrapStatements(instanceArn),
      });
      bootstrap.node.addDependency(instance);
      acknowledge(bootstrap, {
        'AwsSolutions-IAM5[Resource::*]':
          'iot:CreateKeysAndCertificate, iot:DescribeEndpoint and sts:GetCallerIdentity support no resource-level ' +
          'permissions (AWS requires "*"); the statement is usable only from this one instance and deleted after ' +
          'provisioning.',
      });
      acknowledgeWildcards(
        bootstrap,
        [iotArn('cert', '*')],
        'The certificate provisioning creates has an id unknown before creation; usable only from this one ' +
          'instance, and deleted after provisioning.',
      );

      this.instances.push(instance);
      this.thingNames.push(thingName);
      this.roles.push(role);
      this.bootstrapPolicies.push(bootstrap);
    }
  }

  /**
   * What the Greengrass installer calls when it provisions one device (automatic provisioning), scoped to
   * that thing, its groups, the two IoT policies, the role alias and the token exchange role, and usable
   * only from the device's instance; plus deleting itself (`iam:DeleteRolePolicy` on the device's role).
   */
  private bootstrapStatements(o: {
    iotArn: (resource: string, name: string) => string;
    thingName: string;
    groups: readonly string[];
    role: Role;
    instanceArn: string;
  }): PolicyStatement[] {
    const conditions = { ArnEquals: { 'ec2:SourceInstanceARN': o.instanceArn } };
    const groupArns = o.groups.map((g) => o.iotArn('thinggroup', g));
    return [
      new PolicyStatement({
        sid: 'ThingAndGroups',
        actions: ['iot:CreateThing', 'iot:DescribeThing', 'iot:AddThingToThingGroup', 'iot:AttachThingPrincipal'],
        resources: [o.iotArn('thing', o.thingName), ...groupArns],
        conditions,
      }),
      new PolicyStatement({
        sid: 'DescribeGroups',
        actions: ['iot:DescribeThingGroup'],
        resources: groupArns,
        conditions,
      }),
      new PolicyStatement({
        sid: 'AttachDevicePolicies',
        actions: ['iot:GetPolicy', 'iot:AttachPolicy'],
        resources: [
          o.iotArn('policy', this.policies.thingPolicyName),
          o.iotArn('policy', this.policies.tesCertificatePolicyName),
        ],
        conditions,
      }),
      new PolicyStatement({
        sid: 'RoleAlias',
        actions: ['iot:DescribeRoleAlias'],
        resources: [o.iotArn('rolealias', this.policies.roleAliasName)],
        conditions,
      }),
      new PolicyStatement({
        sid: 'CreateCertificate',
        actions: ['iot:CreateKeysAndCertificate', 'iot:DescribeEndpoint', 'sts:GetCallerIdentity'],
        resources: ['*'],
        conditions,
      }),
      new PolicyStatement({
        sid: 'AttachToNewCertificate',
        actions: ['iot:AttachPolicy', 'iot:AttachThingPrincipal'],
        resources: [o.iotArn('cert', '*')],
        conditions,
      }),
      new PolicyStatement({
        sid: 'TokenExchangeRole',
        actions: ['iam:GetRole', 'iam:PassRole'],
        resources: [this.policies.tokenExchangeRole.roleArn],
        conditions,
      }),
      new PolicyStatement({
        sid: 'DeleteItself',
        actions: ['iam:DeleteRolePolicy'],
        resources: [o.role.roleArn],
        conditions,
      }),
    ];
  }
}
