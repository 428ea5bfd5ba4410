import { FATAL_ERROR_NAMES, RETRYABLE_ERROR_NAMES, type StepName, StepNames } from '@edgeqc/orchestrator/handlers';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { APPROVAL_DETAIL_TYPE, type PipelineStack } from '../lib/pipeline-stack.ts';
import { pipelineStackForSynth } from '../lib/synth.ts';
import { cfnLint, nagFindings } from './support/checks.ts';

type Resource = { Type: string; Properties?: Record<string, unknown> };
type Statement = { Effect: string; Action: string | string[]; Resource?: unknown; Principal?: unknown; Sid?: string };

let stack: PipelineStack;
let template: Template;
let resources: Record<string, Resource>;

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const policyStatements = (r: Resource): Statement[] =>
  (r.Properties?.PolicyDocument as { Statement?: Statement[] } | undefined)?.Statement ?? [];
const list = <T>(v: T | T[]) => (Array.isArray(v) ? v : [v]);

/** Every identity-policy statement of the template, with the policy's logical id. */
function identityStatements(): { policy: string; statement: Statement }[] {
  return ofType('AWS::IAM::Policy').flatMap(([id, r]) =>
    policyStatements(r).map((statement) => ({
      policy: id,
      statement,
    })),
  );
}

beforeAll(() => {
  stack = pipelineStackForSynth();
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources;
  // Synthesizing the stack takes seconds on a busy shared machine.
}, 180_000);

describe('pipeline stack', () => {
  it('keeps the component bucket versioned, encrypted, private, TLS-only and access-logged', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: { DestinationBucketName: Match.anyValue(), LogFilePrefix: 'component-bucket/' },
    });
    for (const [, policy] of ofType('AWS::S3::BucketPolicy')) {
      const statements = policyStatements(policy);
      expect(statements).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
    expect(ofType('AWS::S3::BucketPolicy')).toHaveLength(2);
  });

  it('creates an ECC_NIST_P256 signing key that only the PackageModel role may use', () => {
    const keys = ofType('AWS::KMS::Key').filter(([, r]) => r.Properties?.KeySpec === 'ECC_NIST_P256');
    expect(keys).toHaveLength(1);
    const key = keys[0]![1].Properties!;
    expect(key.KeyUsage).toBe('SIGN_VERIFY');
    const packagerRole = stack.resolve(stack.functions.roleOf(StepNames.PackageModel).roleArn);
    const statements = (key.KeyPolicy as { Statement: Statement[] }).Statement;
    const using = statements.filter((s) =>
      list(s.Action).some((a) => ['kms:Sign', 'kms:GetPublicKey', 'kms:Verify', 'kms:*'].includes(a)),
    );
    expect(using.length).toBeGreaterThan(0);
    for (const s of using) expect(s.Principal).toEqual({ AWS: packagerRole });
    // The account administers the key but cannot use it.
    const admin = statements.find((s) => s.Sid === 'AdministerWithoutUse')!;
    expect(list(admin.Action)).not.toContain('kms:Sign');
    expect(list(admin.Action).some((a) => a === 'kms:*' || a.startsWith('kms:Sign'))).toBe(false);
    // No identity policy grants signing to anyone.
    for (const { statement } of identityStatements()) expect(list(statement.Action)).not.toContain('kms:Sign');
  });

  it('lets no key policy statement hand out a key: no CreateGrant, PutKeyPolicy only for key administrators', () => {
    const covers = (pattern: string, action: string) =>
      new RegExp(`^${pattern.replace(/[.]/g, '\\.').replace(/\*/g, '.*')}$`, 'i').test(action);
    const keys = ofType('AWS::KMS::Key');
    expect(keys.map(([, k]) => k.Properties?.KeySpec ?? 'SYMMETRIC_DEFAULT').sort()).toEqual([
      'ECC_NIST_P256',
      'SYMMETRIC_DEFAULT',
    ]);
    for (const [id, key] of keys) {
      const statements = (key.Properties!.KeyPolicy as { Statement: (Statement & { Condition?: unknown })[] })
        .Statement;
      const where = (s: Statement) => `${id} ${s.Sid ?? JSON.stringify(s.Principal)}`;
      for (const s of statements) {
        const actions = list(s.Action);
        expect(
          actions.some((a) => covers(a, 'kms:CreateGrant')),
          where(s),
        ).toBe(false);
        if (!actions.some((a) => covers(a, 'kms:PutKeyPolicy'))) continue;
        // Only the account's key administrators: CloudFormation's execution role of `cdk bootstrap`.
        expect(s.Sid, where(s)).toBe('ChangeKeyPolicyAdminsOnly');
        expect(actions, where(s)).toEqual(['kms:PutKeyPolicy']);
        expect(JSON.stringify(s.Condition), where(s)).toMatch(
          /^\{"ArnLike":\{"aws:PrincipalArn":.*:role\/cdk-\*-cfn-exec-role-/,
        );
      }
      // Whoever is not the account (services, roles) gets neither administration nor delegation.
      for (const s of statements.filter((st) => JSON.stringify(st.Principal).includes(':root') === false)) {
        for (const a of list(s.Action))
          expect(a, where(s)).toMatch(/^kms:(Sign|GetPublicKey|DescribeKey|Decrypt|GenerateDataKey\*?)$/);
      }
    }
  });

  it('runs one Node.js 24 function per step with X-Ray tracing, never nodejs20.x', () => {
    const fns = ofType('AWS::Lambda::Function');
    // One per step, plus the metrics ingest (FleetMetrics).
    expect(fns).toHaveLength(Object.keys(StepNames).length + 1);
    for (const [, fn] of fns) {
      expect(fn.Properties?.Runtime).toBe('nodejs24.x');
      expect(fn.Properties?.Runtime).not.toBe('nodejs20.x');
      expect(fn.Properties?.TracingConfig).toEqual({ Mode: 'Active' });
    }
  });

  it("gives each step's function exactly its step's actions", () => {
    const actionsOf = (step: StepName) => {
      const roleRef = JSON.stringify(stack.resolve(stack.functions.roleOf(step).roleName));
      const policies = ofType('AWS::IAM::Policy').filter(([, r]) =>
        JSON.stringify(r.Properties?.Roles).includes(roleRef),
      );
      return [...new Set(policies.flatMap(([, r]) => policyStatements(r).flatMap((st) => list(st.Action))))].sort();
    };
    const logs = ['logs:CreateLogStream', 'logs:PutLogEvents'];
    const xray = ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'];
    const expected: Record<StepName, string[]> = {
      ResolveModel: [
        'sagemaker:ListModelPackages',
        'sagemaker:DescribeModelPackage',
        'states:ListExecutions',
        'iot:DescribeThingGroup',
        'greengrass:ListDeployments',
        'greengrass:GetDeployment',
      ],
      PackageModel: ['sagemaker:DescribeModelPackage', 's3:GetObject', 's3:PutObject', 's3:ListBucket'],
      CreateComponentVersion: [
        's3:GetObject',
        's3:GetBucketLocation',
        'greengrass:CreateComponentVersion',
        'greengrass:DescribeComponent',
        'greengrass:GetComponent',
      ],
      CheckDeployable: ['greengrass:DescribeComponent'],
      DeployCanary: deployActions(),
      DeployFleet: deployActions(),
      VerifyCanary: [...verifyActions(), 'dynamodb:BatchGetItem'],
      VerifyFleet: [...verifyActions(), 'dynamodb:BatchGetItem'],
      Notify: ['sns:Publish', 'kms:GenerateDataKey', 'kms:Decrypt'],
      NotifyFailure: ['sns:Publish', 'kms:GenerateDataKey', 'kms:Decrypt'],
      UndoRollout: [
        'greengrass:CancelDeployment',
        'greengrass:CreateDeployment',
        'greengrass:GetDeployment',
        'greengrass:ListDeployments',
        'greengrass:TagResource',
        'greengrass:DescribeComponent',
        'greengrass:GetComponent',
        'iot:CreateJob',
        'iot:DescribeJob',
        'iot:UpdateJob',
        'iot:CancelJob',
        'iot:DescribeThingGroup',
      ],
    };
    for (const step of Object.values(StepNames)) {
      expect(actionsOf(step), step).toEqual([...new Set([...expected[step], ...logs, ...xray])].sort());
    }
  });

  it('gives no deploy function (DeployCanary, DeployFleet, UndoRollout) any thing or thing-shadow right', () => {
    for (const step of [StepNames.DeployCanary, StepNames.DeployFleet, StepNames.UndoRollout]) {
      const roleRef = JSON.stringify(stack.resolve(stack.functions.roleOf(step).roleName));
      const statements = ofType('AWS::IAM::Policy')
        .filter(([, r]) => JSON.stringify(r.Properties?.Roles).includes(roleRef))
        .flatMap(([, r]) => policyStatements(r));
      expect(statements.length, step).toBeGreaterThan(0);
      for (const st of statements) {
        expect(JSON.stringify(st.Resource), step).not.toMatch(/:thing\/\*/);
        expect(JSON.stringify(st.Resource), step).not.toMatch(/:thing\//);
        for (const action of list(st.Action)) expect(action, step).not.toMatch(/Shadow|^iot:DescribeThing$/);
      }
    }
  });

  it('grants no FullAccess policy, no "*" action and no service-wide action', () => {
    const json = JSON.stringify(template.toJSON());
    expect(json).not.toMatch(/FullAccess/);
    for (const { policy, statement } of identityStatements()) {
      for (const action of list(statement.Action)) {
        expect(action, `${policy}: ${action}`).not.toBe('*');
        expect(action, `${policy}: ${action}`).not.toMatch(/^[a-z0-9-]+:\*$/);
      }
    }
  });

  it('uses "*" resources only for actions that have no resource-level permissions', () => {
    const needStar = new Set([
      'sagemaker:ListModelPackages',
      'iot:DescribeEndpoint',
      'greengrass:CreateDeployment',
      'greengrass:CancelDeployment',
      'greengrass:TagResource',
      'greengrass:ListDeployments',
      'greengrass:GetDeployment',
      'greengrass:ListEffectiveDeployments',
      'greengrass:ListInstalledComponents',
      'xray:PutTraceSegments',
      'xray:PutTelemetryRecords',
      'xray:GetSamplingRules',
      'xray:GetSamplingTargets',
      'logs:CreateLogDelivery',
      'logs:GetLogDelivery',
      'logs:UpdateLogDelivery',
      'logs:DeleteLogDelivery',
      'logs:ListLogDeliveries',
      'logs:PutResourcePolicy',
      'logs:DescribeResourcePolicies',
      'logs:DescribeLogGroups',
    ]);
    const starred = identityStatements().filter(({ statement }) => list(statement.Resource).includes('*'));
    expect(starred.length).toBeGreaterThan(0);
    for (const { policy, statement } of starred) {
      for (const action of list(statement.Action)) expect(needStar.has(action), `${policy}: ${action} on *`).toBe(true);
    }
  });

  it('starts the rollout on an Approved model package of the configured group, with its ARN', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.sagemaker'],
        'detail-type': [APPROVAL_DETAIL_TYPE],
        detail: { ModelPackageGroupName: ['tag-scratch'], ModelApprovalStatus: ['Approved'] },
      },
      Targets: [
        Match.objectLike({
          Arn: { Ref: Match.stringLikeRegexp('ModelRollout') },
          InputTransformer: {
            InputPathsMap: {
              'detail-ModelPackageArn': '$.detail.ModelPackageArn',
              'detail-ModelPackageGroupName': '$.detail.ModelPackageGroupName',
            },
            InputTemplate:
              '{"modelPackageArn":<detail-ModelPackageArn>,"modelPackageGroupName":<detail-ModelPackageGroupName>}',
          },
          DeadLetterConfig: Match.anyValue(),
        }),
      ],
    });
  });

  it('follows the configured model package group (ARNs in lower case, as SageMaker writes them)', () => {
    const other = Template.fromStack(pipelineStackForSynth({ modelPackageGroup: 'Press-Line-7' }));
    other.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        detail: { ModelPackageGroupName: ['Press-Line-7'], ModelApprovalStatus: ['Approved'] },
      }),
    });
    const json = JSON.stringify(other.toJSON());
    expect(json).toContain(':model-package/press-line-7/*');
    expect(json).not.toContain(':model-package/Press-Line-7/');
    expect(json).not.toContain('tag-scratch');
  });

  it('refuses a model package group name SageMaker would refuse', () => {
    expect(() => pipelineStackForSynth({ modelPackageGroup: 'bad name!' })).toThrow(/modelPackageGroup 'bad name!'/);
  });

  it('logs and traces the state machine, and alarms on failed executions into the results topic', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: true }),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ExecutionsFailed',
      Namespace: 'AWS/States',
      Threshold: 1,
      AlarmActions: [{ Ref: Match.stringLikeRegexp('RolloutResults') }],
    });
    template.resourceCountIs('AWS::SNS::Topic', 1);
  });

  it('outputs what the commands need: bucket, state machine, signing key, topic, metrics table', () => {
    expect(Object.keys(template.toJSON().Outputs).sort()).toEqual(
      ['ComponentBucketName', 'MetricsTableName', 'ResultsTopicArn', 'SigningKeyArn', 'StateMachineArn'].sort(),
    );
  });

  it('creates the canary and fleet thing groups', () => {
    template.hasResourceProperties('AWS::IoT::ThingGroup', { ThingGroupName: 'canary' });
    template.hasResourceProperties('AWS::IoT::ThingGroup', { ThingGroupName: 'fleet' });
  });

  it('passes cdk-nag AwsSolutions with every acknowledgement explained', () => {
    expect(nagFindings(stack)).toEqual([]);
    const acknowledged = stack.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules'))
      .flatMap((m) => Object.values(m.data as Record<string, string>));
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const reason of acknowledged) expect(String(reason).length).toBeGreaterThan(30);
  });

  it('passes cfn-lint', () => {
    const { status, output } = cfnLint(template.toJSON(), 'pipeline');
    expect(output).toBe('');
    expect(status).toBe(0);
  });

  it('shares its error names with the handlers (nothing fatal is retried)', () => {
    const json = JSON.stringify(template.toJSON());
    for (const name of RETRYABLE_ERROR_NAMES) expect(json).toContain(name);
    for (const name of FATAL_ERROR_NAMES) expect(json).not.toContain(`\\"${name}\\"`);
  });
});

function deployActions(): string[] {
  return [
    'iot:DescribeThingGroup',
    'greengrass:CreateDeployment',
    'greengrass:ListDeployments',
    'greengrass:GetDeployment',
    'greengrass:DescribeComponent',
    'greengrass:GetComponent',
    'iot:CreateJob',
    'iot:DescribeJob',
    'iot:UpdateJob',
    'iot:CancelJob',
    'greengrass:TagResource',
  ];
}

function verifyActions(): string[] {
  return [
    'iot:ListThingsInThingGroup',
    'iot:DescribeThingGroup',
    'iot:DescribeJob',
    'iot:DescribeJobExecution',
    'iot:DescribeThing',
    'iot:GetThingShadow',
    'greengrass:ListEffectiveDeployments',
    'greengrass:ListInstalledComponents',
    'greengrass:GetDeployment',
    'iot:GetRetainedMessage',
    'iot:DescribeEndpoint',
  ];
}
