/**
 * What a Greengrass core device may do: the token-exchange role (AWS credentials for components: read
 * the component artifacts, write the project's component logs, nothing else), its IoT role alias, and
 * the IoT policy of the device certificate (scoped to the connecting thing: its four edgeqc topics,
 * publish only, and the nucleus's own `$aws/things/<thing>/` topics).
 */
import { ArnFormat, Stack } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnPolicy, CfnRoleAlias } from 'aws-cdk-lib/aws-iot';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeWildcards } from './nag.ts';

/** The MQTT topic root of the project (edge-component's contracts: edgeqc/<thing>/...). */
export const TOPIC_ROOT = 'edgeqc';
/** The topics the agent publishes under edgeqc/<thing>/ (edge-component's `topicsFor`); nothing else. */
export const DEVICE_TOPIC_SUFFIXES = ['inspections', 'status', 'errors', 'metrics'] as const;

/** The IoT policy variable of the connecting thing's name (AWS IoT resolves it per connection). */
export const THING_NAME_VARIABLE = ['$', '{iot:Connection.Thing.ThingName}'].join('');

export interface GreengrassDevicePoliciesProps {
  readonly bucket: IBucket;
  /** Key prefix the components' artifacts live under. Default `components/`. */
  readonly componentPrefix?: string;
  /** Name prefix of the IoT policy and role alias. */
  readonly namePrefix: string;
}

export class GreengrassDevicePolicies extends Construct {
  readonly tokenExchangeRole: Role;
  readonly roleAlias: CfnRoleAlias;
  readonly roleAliasName: string;
  readonly thingPolicyName: string;
  /** The policy the Greengrass installer looks for (`GreengrassTESCertificatePolicy<alias>`). */
  readonly tesCertificatePolicyName: string;

  constructor(scope: Construct, id: string, props: GreengrassDevicePoliciesProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const prefix = props.componentPrefix ?? 'components/';

    this.tokenExchangeRole = new Role(this, 'TokenExchangeRole', {
      assumedBy: new ServicePrincipal('credentials.iot.amazonaws.com'),
      description: 'Greengrass token exchange: read edgeqc component artifacts, write edgeqc component logs',
    });
    this.tokenExchangeRole.addToPolicy(
      new PolicyStatement({ actions: ['s3:GetObject'], resources: [props.bucket.arnForObjects(`${prefix}*`)] }),
    );
    this.tokenExchangeRole.addToPolicy(
      new PolicyStatement({ actions: ['s3:GetBucketLocation'], resources: [props.bucket.bucketArn] }),
    );
    const componentLogs = stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: `/aws/greengrass/UserComponent/${stack.region}/com.edgeqc.*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.tokenExchangeRole.addToPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        resources: [componentLogs, `${componentLogs}:*`],
      }),
    );

    acknowledgeWildcards(
      this.tokenExchangeRole,
      [props.bucket.arnForObjects(`${prefix}*`), componentLogs, `${componentLogs}:*`],
      'Component artifacts under the components/ prefix only; CloudWatch log groups of edgeqc components only ' +
        '(Greengrass names them /aws/greengrass/UserComponent/<region>/<component>).',
    );

    this.roleAliasName = `${props.namePrefix}TokenExchangeRoleAlias`;
    this.roleAlias = new CfnRoleAlias(this, 'RoleAlias', {
      roleAlias: this.roleAliasName,
      roleArn: this.tokenExchangeRole.roleArn,
      credentialDurationSeconds: 3600,
    });
    const roleAliasArn = stack.formatArn({ service: 'iot', resource: 'rolealias', resourceName: this.roleAliasName });

    const iotArn = (resource: string, name: string) =>
      stack.formatArn({ service: 'iot', resource, resourceName: name });
    const thing = THING_NAME_VARIABLE;
    this.thingPolicyName = `${props.namePrefix}GreengrassCorePolicy`;
    new CfnPolicy(this, 'ThingPolicy', {
      policyName: this.thingPolicyName,
      policyDocument: {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: 'iot:Connect', Resource: iotArn('client', thing) },
          {
            // The agent's four topics exactly (retained: the status), as in the component's IPC policy.
            Effect: 'Allow',
            Action: ['iot:Publish', 'iot:RetainPublish'],
            Resource: DEVICE_TOPIC_SUFFIXES.map((suffix) => iotArn('topic', `${TOPIC_ROOT}/${thing}/${suffix}`)),
          },
          {
            // The nucleus's own topics (shadow, jobs, deployments) under $aws/things/<thing>/.
            Effect: 'Allow',
            Action: ['iot:Publish', 'iot:Receive', 'iot:RetainPublish'],
            Resource: [iotArn('topic', `$aws/things/${thing}/*`)],
          },
          {
            Effect: 'Allow',
            Action: 'iot:Subscribe',
            Resource: [iotArn('topicfilter', `$aws/things/${thing}/*`)],
          },
          {
            Effect: 'Allow',
            Action: ['iot:GetThingShadow', 'iot:UpdateThingShadow', 'iot:DeleteThingShadow'],
            Resource: iotArn('thing', thing),
          },
          { Effect: 'Allow', Action: 'iot:AssumeRoleWithCertificate', Resource: roleAliasArn },
          {
            // Greengrass data-plane calls of a core device; these actions take no resource ARN ("*" required).
            Effect: 'Allow',
            Action: [
              'greengrass:GetComponentVersionArtifact',
              'greengrass:ResolveComponentCandidates',
              'greengrass:GetDeploymentConfiguration',
              'greengrass:ListThingGroupsForCoreDevice',
            ],
            Resource: '*',
          },
        ],
      },
    });
    this.tesCertificatePolicyName = `GreengrassTESCertificatePolicy${this.roleAliasName}`;
    new CfnPolicy(this, 'TesCertificatePolicy', {
      policyName: this.tesCertificatePolicyName,
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'iot:AssumeRoleWithCertificate', Resource: roleAliasArn }],
      },
    });
  }
}
