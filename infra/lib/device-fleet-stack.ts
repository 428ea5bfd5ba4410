/**
 * The device fleet stack ("simulating devices on EC2"): N EC2 instances, each a Greengrass core device
 * provisioned by its user data into the canary (the first `canaryCount`) or the fleet thing group, with
 * a simulated camera. No SSH keys and no inbound rules: operators use SSM Session Manager. The AMI is
 * the latest Amazon Linux 2023 from its public SSM parameter (no AMI ids in the template).
 */
import { Stack, type StackProps } from 'aws-cdk-lib';
import {
  BlockDeviceVolume,
  EbsDeviceVolumeType,
  FlowLogDestination,
  Instance,
  InstanceType,
  MachineImage,
  SecurityGroup,
  SubnetType,
  UserData,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import { ManagedPolicy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { BucketPrefixes, componentBucketName } from './constructs/component-bucket.ts';
import { deviceUserDataCommands } from './constructs/device-user-data.ts';
import { GreengrassDevicePolicies } from './constructs/greengrass-device-policies.ts';
import { acknowledge, acknowledgeWildcards } from './constructs/nag.ts';

/** The SSM parameter of the latest Amazon Linux 2023 AMI (x86_64). */
export const AMI_PARAMETER = '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64';
export const NUCLEUS_URL = 'https://d2s8p88vqu9w66.cloudfront.net/releases/greengrass-nucleus-latest.zip';
export const DEFAULT_CAMERA_DIR = '/var/lib/edgeqc/camera';

export interface DeviceFleetStackProps extends StackProps {
  /** The component bucket (artifacts under components/, camera samples under samples/). Default: the pipeline stack's (componentBucketName). */
  readonly bucketName?: string;
  readonly canaryGroup: string;
  readonly fleetGroup: string;
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
  readonly policies: GreengrassDevicePolicies;

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

    const role = new Role(this, 'InstanceRole', {
      assumedBy: new ServicePrincipal('ec2.amazonaws.com'),
      description: 'edgeqc simulated device: SSM, Greengrass automatic provisioning, camera samples',
      managedPolicies: [ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
    });
    const iotArn = (resource: string, name: string) => this.formatArn({ service: 'iot', resource, resourceName: name });
    const thingArn = iotArn('thing', 'edgeqc-device-*');
    // Greengrass automatic provisioning (the installer's calls), scoped to the project's things,
    // groups, policies and role alias.
    role.addToPolicy(
      new PolicyStatement({
        actions: ['iot:CreateThing', 'iot:DescribeThing', 'iot:AddThingToThingGroup', 'iot:AttachThingPrincipal'],
        resources: [thingArn, iotArn('thinggroup', props.canaryGroup), iotArn('thinggroup', props.fleetGroup)],
      }),
    );
    role.addToPolicy(
      new PolicyStatement({
        actions: ['iot:DescribeThingGroup', 'iot:CreateThingGroup'],
        resources: [iotArn('thinggroup', props.canaryGroup), iotArn('thinggroup', props.fleetGroup)],
      }),
    );
    role.addToPolicy(
      new PolicyStatement({
        actions: ['iot:GetPolicy', 'iot:AttachPolicy'],
        resources: [
          iotArn('policy', this.policies.thingPolicyName),
          iotArn('policy', this.policies.tesCertificatePolicyName),
        ],
      }),
    );
    role.addToPolicy(
      new PolicyStatement({
        actions: ['iot:DescribeRoleAlias'],
        resources: [iotArn('rolealias', this.policies.roleAliasName)],
      }),
    );
    // CreateKeysAndCertificate and DescribeEndpoint have no resource-level permissions ("*" required);
    // AttachPolicy/AttachThingPrincipal on the new certificate (its id is unknown before creation).
    role.addToPolicy(
      new PolicyStatement({
        actions: ['iot:CreateKeysAndCertificate', 'iot:DescribeEndpoint', 'sts:GetCallerIdentity'],
        resources: ['*'],
      }),
    );
    role.addToPolicy(
      new PolicyStatement({
        actions: ['iot:AttachPolicy', 'iot:AttachThingPrincipal'],
        resources: [iotArn('cert', '*')],
      }),
    );
    role.addToPolicy(
      new PolicyStatement({
        actions: ['iam:GetRole', 'iam:PassRole'],
        resources: [this.policies.tokenExchangeRole.roleArn],
      }),
    );
    const samples = bucket.arnForObjects(`${BucketPrefixes.samples}*`);
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
      'AwsSolutions-IAM5[Resource::*]':
        'Greengrass automatic provisioning calls iot:CreateKeysAndCertificate, iot:DescribeEndpoint and ' +
        'sts:GetCallerIdentity, which support no resource-level permissions (AWS requires "*").',
    });
    acknowledgeWildcards(
      role,
      [thingArn, iotArn('cert', '*'), samples],
      'Provisioning creates things named edgeqc-device-* and a certificate with a generated id; the camera ' +
        'simulator reads the samples/ prefix only.',
    );

    const cameraDir = props.cameraDir ?? DEFAULT_CAMERA_DIR;
    for (let i = 0; i < deviceCount; i++) {
      const thingName = `edgeqc-device-${i}`;
      const group = i < canaryCount ? props.canaryGroup : props.fleetGroup;
      const userData = UserData.forLinux();
      userData.addCommands(
        ...deviceUserDataCommands({
          region: this.region,
          thingName,
          thingGroup: group,
          thingPolicyName: this.policies.thingPolicyName,
          tesRoleName: this.policies.tokenExchangeRole.roleName,
          tesRoleAliasName: this.policies.roleAliasName,
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
        requireImdsv2: true,
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
      this.instances.push(instance);
      this.thingNames.push(thingName);
    }
  }
}
