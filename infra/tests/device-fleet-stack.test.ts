import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../lib/app.ts';
import {
  agentWorkDir,
  CAMERA_USER,
  COMPONENT_USER,
  IMDS_BLOCK_TABLE,
  NUCLEUS_INIT_CONFIG_PATH,
} from '../lib/constructs/device-user-data.ts';
import { THING_NAME_VARIABLE } from '../lib/constructs/greengrass-device-policies.ts';
import type { DeviceFleetStack } from '../lib/device-fleet-stack.ts';
import {
  AMI_PARAMETER,
  BOOTSTRAP_POLICY_PREFIX,
  DEFAULT_CAMERA_DIR,
  DISK_SPOOLER_VERSION,
  IDENTITY_ACTIONS,
  NUCLEUS_URL,
  NUCLEUS_VERSION,
} from '../lib/device-fleet-stack.ts';
import { FEATURE_FLAGS } from '../lib/feature-flags.ts';
import { BUNDLING_STACKS_CONTEXT } from '../lib/synth.ts';
import { cfnLint, nagFindings } from './support/checks.ts';

type Resource = { Type: string; Properties?: Record<string, unknown>; DependsOn?: string[] };

function appWith(context: Record<string, unknown>) {
  return new App({ context: { ...FEATURE_FLAGS, [BUNDLING_STACKS_CONTEXT]: [], ...context } });
}

let stack: DeviceFleetStack;
let template: Template;
let resources: Record<string, Resource>;
type Statement = { Sid?: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
const statementsOf = (r: Resource): Statement[] =>
  (r.Properties?.PolicyDocument as { Statement?: Statement[] } | undefined)?.Statement ?? [];
const ofType = (type: string) => Object.values(resources).filter((r) => r.Type === type);
const entriesOfType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const actionsOf = (statements: Statement[]) =>
  statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
const ref = (id: string) => JSON.stringify({ Ref: id });

/** Each instance with its logical id, its role's logical id and the IAM policies attached to that role. */
function devices() {
  return entriesOfType('AWS::EC2::Instance').map(([id, instance]) => {
    const profileId = (instance.Properties!.IamInstanceProfile as { Ref: string }).Ref;
    const roleId = (resources[profileId]!.Properties!.Roles as { Ref: string }[])[0]!.Ref;
    const policies = entriesOfType('AWS::IAM::Policy').filter(([, p]) =>
      (p.Properties!.Roles as unknown[]).some((r) => JSON.stringify(r) === ref(roleId)),
    );
    const isBootstrap = ([, p]: [string, Resource]) =>
      JSON.stringify(p.Properties!.PolicyName).includes(BOOTSTRAP_POLICY_PREFIX);
    return {
      id,
      instance,
      roleId,
      role: resources[roleId]!,
      bootstrap: policies.filter(isBootstrap),
      standing: policies.filter((p) => !isBootstrap(p)),
      userData: userDataOf(instance),
    };
  });
}

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
  // Synthesizing both stacks takes seconds on a busy shared machine.
}, 180_000);

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
    for (const i of instances) {
      expect(i.Properties?.MetadataOptions).toEqual({ HttpTokens: 'required', HttpPutResponseHopLimit: 1 });
    }
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

  it('lets the token exchange role read only component artifacts, write only edgeqc component logs and put inspections under its own thing', () => {
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
        's3:PutObject',
        'logs:CreateLogGroup',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'logs:DescribeLogStreams',
      ].sort(),
    );
    expect(text).not.toContain('"*"');
  });

  it("scopes the device's IoT policy to its own thing name and exactly its four edgeqc topics", () => {
    const core = ofType('AWS::IoT::Policy').find((p) =>
      String(p.Properties?.PolicyName).endsWith('GreengrassCorePolicy'),
    )!;
    const statements = statementsOf(core);
    const connect = statements.find((s) => s.Action === 'iot:Connect')!;
    expect(JSON.stringify(connect.Resource)).toContain(`client/${THING_NAME_VARIABLE}`);
    const topics = (JSON.stringify(statements).match(/:topic(filter)?\/[^"]+/g) ?? []).sort();
    expect(topics).toEqual(
      [
        `:topic/edgeqc/${THING_NAME_VARIABLE}/errors`,
        `:topic/edgeqc/${THING_NAME_VARIABLE}/inspections`,
        `:topic/edgeqc/${THING_NAME_VARIABLE}/metrics`,
        `:topic/edgeqc/${THING_NAME_VARIABLE}/status`,
        `:topic/$aws/things/${THING_NAME_VARIABLE}/*`,
        `:topicfilter/$aws/things/${THING_NAME_VARIABLE}/*`,
      ].sort(),
    );
    const edgeqc = statements.find((s) => JSON.stringify(s.Resource).includes(':topic/edgeqc/'))!;
    expect([edgeqc.Action].flat().sort()).toEqual(['iot:Publish', 'iot:RetainPublish']);
    template.hasResourceProperties('AWS::IoT::RoleAlias', {
      RoleAlias: Match.stringLikeRegexp('TokenExchangeRoleAlias$'),
    });
  });

  it('gives no device role a standing right to create certificates, attach policies or principals, or move things between groups', () => {
    const all = devices();
    expect(all).toHaveLength(4);
    expect(new Set(all.map((d) => d.roleId)).size).toBe(4);
    for (const d of all) {
      expect(d.role.Properties?.ManagedPolicyArns).toHaveLength(1);
      expect(JSON.stringify(d.role.Properties?.ManagedPolicyArns)).toContain(
        ':iam::aws:policy/AmazonSSMManagedInstanceCore',
      );
      expect(JSON.stringify(d.role.Properties?.Policies ?? [])).toBe('[]');
      const standing = d.standing.flatMap(([, p]) => actionsOf(statementsOf(p)));
      expect(standing.sort()).toEqual(['s3:GetObject', 's3:ListBucket']);
      for (const action of [...IDENTITY_ACTIONS, 'iot:*', '*', 'iam:*']) expect(standing).not.toContain(action);
      expect(standing.some((a) => a.startsWith('iot:') || a.startsWith('iam:'))).toBe(false);
    }
    // No policy anywhere else in the stack grants these actions to a device.
    const identityPolicies = entriesOfType('AWS::IAM::Policy').filter(([, p]) =>
      actionsOf(statementsOf(p)).some((a) => (IDENTITY_ACTIONS as readonly string[]).includes(a)),
    );
    expect(identityPolicies.map(([id]) => id).sort()).toEqual(all.flatMap((d) => d.bootstrap.map(([id]) => id)).sort());
  });

  it('binds each one-time bootstrap policy to its own instance, thing and groups, and lets it delete only itself', () => {
    for (const [index, d] of devices().entries()) {
      expect(d.bootstrap).toHaveLength(1);
      const [, policy] = d.bootstrap[0]!;
      expect(policy.Properties!.PolicyName).toEqual({ 'Fn::Join': ['', [BOOTSTRAP_POLICY_PREFIX, { Ref: d.id }]] });
      // Created after its instance (the name carries the instance id: a replaced instance gets a new one).
      expect(policy.DependsOn).toContain(d.id);
      const statements = statementsOf(policy);
      for (const st of statements) {
        const condition = JSON.stringify(st.Condition);
        expect(condition, st.Sid).toContain('"ArnEquals":{"ec2:SourceInstanceARN"');
        expect(condition, st.Sid).toContain(`:instance/",${ref(d.id)}`);
      }
      const text = JSON.stringify(statements);
      expect(text.match(/:thing\/[^"]+/g)).toEqual([`:thing/edgeqc-device-${index}`]);
      expect([...new Set(text.match(/:thinggroup\/[^"]+/g))].sort()).toEqual(
        [`:thinggroup/${index === 0 ? 'canary' : 'fleet'}`, ':thinggroup/edgeqc-devices'].sort(),
      );
      const deleteItself = statements.find((st) => st.Action === 'iam:DeleteRolePolicy')!;
      expect(deleteItself.Resource).toEqual({ 'Fn::GetAtt': [d.roleId, 'Arn'] });
      expect(
        actionsOf(statements)
          .filter((a) => a.startsWith('iam:'))
          .sort(),
      ).toEqual(['iam:DeleteRolePolicy', 'iam:GetRole', 'iam:PassRole'].sort());
    }
  });

  it('deletes the bootstrap policy in the user data right after provisioning, and on any failure', () => {
    for (const d of devices()) {
      const text = d.userData;
      expect(text).toContain(`bootstrap_policy='${BOOTSTRAP_POLICY_PREFIX}'"$instance_id"`);
      expect(text).toContain(
        `edgeqc_drop_bootstrap() { aws iam delete-role-policy --role-name '${ref(d.roleId)}' --policy-name "$bootstrap_policy"; }`,
      );
      const trap = text.indexOf("trap 'edgeqc_drop_bootstrap");
      const installer = text.indexOf('-jar nucleus/lib/Greengrass.jar');
      const drop = text.indexOf('\nedgeqc_drop_bootstrap\n');
      const camera = text.indexOf('edgeqc-camera-sim <<');
      expect(trap).toBeGreaterThan(-1);
      expect(trap).toBeLessThan(installer);
      expect(installer).toBeLessThan(drop);
      expect(drop).toBeLessThan(camera);
      expect(text.slice(drop)).toMatch(/^\nedgeqc_drop_bootstrap\ntrap - EXIT\n/);
      // A change of the bootstrap policy changes the user data, and a changed user data replaces the instance.
      expect(text).toMatch(/# bootstrap policy [0-9a-f]{16}/);
    }
    expect(entriesOfType('AWS::EC2::Instance').every(([id]) => /^Device\d+[0-9A-F]{8}[0-9a-f]{16}$/.test(id))).toBe(
      true,
    );
  });

  it('closes IMDS to ggc_user before Greengrass starts; the camera simulator runs as its own user', () => {
    const text = devices()[0]!.userData;
    expect(text).toContain(`meta skuid "${COMPONENT_USER}" ip daddr 169.254.169.254 reject`);
    expect(text).toContain(`meta skuid "${COMPONENT_USER}" ip6 daddr fd00:ec2::254 reject`);
    expect(text).toContain('Before=greengrass.service');
    expect(text).toContain('systemctl enable --now edgeqc-imds-block.service');
    expect(text.indexOf(`nft list table inet ${IMDS_BLOCK_TABLE}`)).toBeLessThan(
      text.indexOf('-jar nucleus/lib/Greengrass.jar'),
    );
    expect(text).toContain(`User=${CAMERA_USER}`);
    expect(text).not.toContain(`User=${COMPONENT_USER}`);
  });

  it("makes the camera folder and the agent's default work folder writable by ggc_user", () => {
    const text = devices()[0]!.userData;
    expect(agentWorkDir(DEFAULT_CAMERA_DIR)).toBe('/var/lib/edgeqc/camera.edgeqc');
    expect(text).toContain(`install -d -o ggc_user -g ggc_group -m 2770 '${DEFAULT_CAMERA_DIR}'`);
    expect(text).toContain(`install -d -o ggc_user -g ggc_group -m 0750 '${agentWorkDir(DEFAULT_CAMERA_DIR)}'`);
  });

  it('installs a pinned nucleus with interpolateComponentConfiguration, and deploys the disk spooler to every device', () => {
    const text = devices()[0]!.userData;
    expect(NUCLEUS_URL).toContain(`greengrass-${NUCLEUS_VERSION}.zip`);
    expect(text).toContain(`curl -fsSL --retry 5 -o nucleus.zip '${NUCLEUS_URL}'`);
    expect(text).toContain(`--init-config ${NUCLEUS_INIT_CONFIG_PATH}`);
    expect(text).toMatch(
      /aws\.greengrass\.Nucleus:\n {4}configuration:\n {6}interpolateComponentConfiguration: true\n/,
    );
    expect(text).toContain("--thing-group-name 'edgeqc-devices'");
    template.hasResourceProperties('AWS::IoT::ThingGroup', { ThingGroupName: 'edgeqc-devices' });
    const deployment = ofType('AWS::GreengrassV2::Deployment');
    expect(deployment).toHaveLength(1);
    const props = deployment[0]!.Properties as {
      TargetArn: unknown;
      Components: Record<string, { ComponentVersion: string; ConfigurationUpdate?: { Merge: string } }>;
    };
    expect(props.TargetArn).toEqual({ 'Fn::GetAtt': ['BaseGroup', 'Arn'] });
    expect(Object.keys(props.Components).sort()).toEqual(['aws.greengrass.DiskSpooler', 'aws.greengrass.Nucleus']);
    expect(props.Components['aws.greengrass.Nucleus']!.ComponentVersion).toBe(NUCLEUS_VERSION);
    expect(props.Components['aws.greengrass.DiskSpooler']!.ComponentVersion).toBe(DISK_SPOOLER_VERSION);
    const merge = JSON.parse(props.Components['aws.greengrass.Nucleus']!.ConfigurationUpdate!.Merge);
    expect(merge).toMatchObject({
      interpolateComponentConfiguration: true,
      mqtt: { spooler: { storageType: 'Disk', pluginName: 'aws.greengrass.DiskSpooler' } },
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
    // cdk-nag and cfn-lint over 4 devices take seconds, more on a busy shared machine.
  }, 120_000);
});
