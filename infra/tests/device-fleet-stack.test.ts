import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../lib/app.ts';
import { THING_NAME_VARIABLE } from '../lib/constructs/greengrass-device-policies.ts';
import type { DeviceFleetStack } from '../lib/device-fleet-stack.ts';
import { AMI_PARAMETER, DEFAULT_CAMERA_DIR } from '../lib/device-fleet-stack.ts';
import { FEATURE_FLAGS } from '../lib/feature-flags.ts';
import { BUNDLING_STACKS_CONTEXT } from '../lib/synth.ts';
import { cfnLint, nagFindings } from './support/checks.ts';

type Resource = { Type: string; Properties?: Record<string, unknown> };

function appWith(context: Record<string, unknown>) {
  return new App({ context: { ...FEATURE_FLAGS, [BUNDLING_STACKS_CONTEXT]: [], ...context } });
}

let stack: DeviceFleetStack;
let template: Template;
let resources: Record<string, Resource>;
type Statement = { Action: string | string[]; Resource: unknown };
const statementsOf = (r: Resource): Statement[] =>
  (r.Properties?.PolicyDocument as { Statement?: Statement[] } | undefined)?.Statement ?? [];
const ofType = (type: string) => Object.values(resources).filter((r) => r.Type === type);

/** The user data of an instance as text (tokens shown as their logical ids). */
function userDataOf(instance: Resource): string {
  const userData = instance.Properties!.UserData as { 'Fn::Base64': { 'Fn::Join': [string, unknown[]] } };
  const join = userData['Fn::Base64']['Fn::Join'];
  return join[1].map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join(join[0]);
}

beforeAll(() => {
  const { devices } = buildApp(appWith({ deviceCount: 4, canaryCount: 1 }));
  stack = devices!;
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources;
});

describe('device fleet stack', () => {
  it('starts deviceCount instances from the SSM AMI parameter, without SSH keys or inbound rules', () => {
    const instances = ofType('AWS::EC2::Instance');
    expect(instances).toHaveLength(4);
    for (const i of instances) {
      expect(i.Properties?.KeyName).toBeUndefined();
      expect(JSON.stringify(i.Properties?.ImageId)).toMatch(/^\{"Ref":"SsmParameterValue/);
    }
    const params = template.toJSON().Parameters as Record<string, { Type: string; Default: string }>;
    expect(Object.values(params).map((p) => p.Default)).toContain(AMI_PARAMETER);
    expect(JSON.stringify(template.toJSON())).not.toMatch(/ami-[0-9a-f]{8,}/);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: Match.absent(),
    });
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: { MetadataOptions: { HttpTokens: 'required' } },
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      ManagedPolicyArns: [{ 'Fn::Join': ['', Match.arrayWith([':iam::aws:policy/AmazonSSMManagedInstanceCore'])] }],
    });
  });

  it('provisions the first canaryCount devices into canary and the rest into fleet', () => {
    const groups = ofType('AWS::EC2::Instance').map((i) => /--thing-group-name '([^']+)'/.exec(userDataOf(i))?.[1]);
    expect(groups).toEqual(['canary', 'fleet', 'fleet', 'fleet']);
    const text = userDataOf(ofType('AWS::EC2::Instance')[0]!);
    expect(text).toContain('--provision true');
    expect(text).toContain("--thing-name 'edgeqc-device-0'");
    expect(text).toContain(`EDGEQC_CAMERA_DIR=${DEFAULT_CAMERA_DIR}`);
    expect(text).toContain('systemctl enable --now edgeqc-camera-sim.service');
  });

  it('lets the token exchange role read only component artifacts and write only edgeqc component logs', () => {
    const tesRole = Object.entries(resources).find(
      ([, r]) =>
        r.Type === 'AWS::IAM::Role' &&
        JSON.stringify(r.Properties?.AssumeRolePolicyDocument).includes('credentials.iot.amazonaws.com'),
    );
    expect(tesRole).toBeDefined();
    const policy = Object.values(resources).find(
      (r) =>
        r.Type === 'AWS::IAM::Policy' &&
        JSON.stringify(r.Properties?.Roles).includes(JSON.stringify({ Ref: tesRole![0] })),
    )!;
    const statements = statementsOf(policy);
    const text = JSON.stringify(statements);
    expect(text).toContain('/components/*');
    expect(text).toContain('/aws/greengrass/UserComponent/');
    expect(text).toContain('com.edgeqc.*');
    const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(actions.sort()).toEqual(
      [
        's3:GetObject',
        's3:GetBucketLocation',
        'logs:CreateLogGroup',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'logs:DescribeLogStreams',
      ].sort(),
    );
    expect(text).not.toContain('"*"');
  });

  it("scopes the device's IoT policy to its own thing name and the edgeqc topics", () => {
    const core = ofType('AWS::IoT::Policy').find((p) =>
      String(p.Properties?.PolicyName).endsWith('GreengrassCorePolicy'),
    )!;
    const statements = statementsOf(core);
    const connect = statements.find((s) => s.Action === 'iot:Connect')!;
    expect(JSON.stringify(connect.Resource)).toContain(`client/${THING_NAME_VARIABLE}`);
    const publish = statements.find((s) => Array.isArray(s.Action) && s.Action.includes('iot:Publish'))!;
    const topics = JSON.stringify(publish.Resource);
    expect(topics).toContain(`topic/edgeqc/${THING_NAME_VARIABLE}/*`);
    expect(topics).not.toMatch(/topic\/\*/);
    template.hasResourceProperties('AWS::IoT::RoleAlias', {
      RoleAlias: Match.stringLikeRegexp('TokenExchangeRoleAlias$'),
    });
  });

  it('refuses a device count outside 1..50 and more canaries than devices', () => {
    expect(() => buildApp(appWith({ deviceCount: 51 }))).toThrow(/deviceCount 51/);
    expect(() => buildApp(appWith({ deviceCount: 2, canaryCount: 3 }))).toThrow(/canaryCount 3/);
    expect(() => buildApp(appWith({ deviceCount: 'many' }))).toThrow(/context deviceCount="many": expected an integer/);
    expect(buildApp(appWith({ deviceCount: 0 })).devices).toBeUndefined();
  });

  it('passes cdk-nag AwsSolutions and cfn-lint', () => {
    expect(nagFindings(stack)).toEqual([]);
    const { status, output } = cfnLint(template.toJSON(), 'devices');
    expect(output).toBe('');
    expect(status).toBe(0);
  });
});
