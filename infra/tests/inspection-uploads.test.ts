import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import { CREDENTIALS_THING_NAME_VARIABLE, InspectionUploads } from '../lib/constructs/inspection-uploads.ts';
import { DeviceFleetStack } from '../lib/device-fleet-stack.ts';
import { FEATURE_FLAGS } from '../lib/feature-flags.ts';
import { nagFindings } from './support/checks.ts';

const env = { account: '123456789012', region: 'eu-west-1' };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

/** A stack with the construct and one device role, as the fleet stack wires it. */
function constructStack() {
  const stack = new Stack(new App({ context: FEATURE_FLAGS }), 'Uploads', { env });
  const role = new Role(stack, 'TokenExchangeRole', {
    assumedBy: new ServicePrincipal('credentials.iot.amazonaws.com'),
  });
  const uploads = new InspectionUploads(stack, 'InspectionUploads', { deviceRoles: [role] });
  return { stack, uploads, template: Template.fromStack(stack) };
}

describe('InspectionUploads (the inspections bucket)', () => {
  let built: ReturnType<typeof constructStack>;
  beforeAll(() => {
    built = constructStack();
  }, 180_000);

  it('is named for the account and region, encrypted, versioned, private and logged', () => {
    built.template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'edgeqc-inspections-123456789012-eu-west-1',
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      LoggingConfiguration: { DestinationBucketName: Match.anyValue(), LogFilePrefix: 'inspections-bucket/' },
    });
  });

  it('refuses every request without TLS', () => {
    built.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('moves uploads to infrequent access after 30 days and deletes them after a year, under inspections/ only', () => {
    built.template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'edgeqc-inspections-123456789012-eu-west-1',
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({
            Id: 'uploads',
            Prefix: 'inspections/',
            ExpirationInDays: 365,
            Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 30 }],
          }),
          Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } }),
        ]),
      },
    });
  });

  it('lets the device role put objects only under inspections/<its own thing name>/ (credentials-iot:ThingName), nothing else', () => {
    const policies = built.template.findResources('AWS::IAM::Policy');
    const statements = Object.values(policies).flatMap(
      (p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement,
    );
    expect(statements).toHaveLength(1);
    const [statement] = statements as [Statement];
    expect(statement.Effect).toBe('Allow');
    expect(statement.Action).toBe('s3:PutObject');
    const resource = JSON.stringify(built.stack.resolve(statement.Resource));
    expect(resource).toContain(`/inspections/${CREDENTIALS_THING_NAME_VARIABLE}/*`);
    expect(CREDENTIALS_THING_NAME_VARIABLE).toBe(['$', '{credentials-iot:ThingName}'].join(''));
  });

  it('has no unacknowledged cdk-nag (AwsSolutions) finding', () => {
    expect(nagFindings(built.stack)).toEqual([]);
  });

  it('refuses a lifecycle that expires before the move to infrequent access, naming the value', () => {
    const stack = new Stack(new App(), 'Bad', { env });
    expect(() => new InspectionUploads(stack, 'U', { expireAfterDays: 20 })).toThrow(/expireAfterDays 20/);
    expect(() => new InspectionUploads(stack, 'V', { prefix: '/x/' })).toThrow(/prefix "\/x\/"/);
  });
});

describe('the device fleet stack with the inspections bucket', () => {
  it("grants the Greengrass token exchange role s3:PutObject under its own thing's prefix and exports the bucket", () => {
    const app = new App({ context: FEATURE_FLAGS });
    const stack = new DeviceFleetStack(app, 'Devices', { env, canaryGroup: 'c', fleetGroup: 'f', deviceCount: 1 });
    expect(stack.inspectionUploads.bucket.bucketName).toBeDefined();
    const template = Template.fromStack(stack);
    const roleId = stack.getLogicalId(stack.policies.tokenExchangeRole.node.defaultChild as never);
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties.Roles).includes(roleId),
    );
    const puts = policies
      .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement)
      .filter((s) => JSON.stringify(s.Action).includes('s3:PutObject'));
    expect(puts).toHaveLength(1);
    expect(JSON.stringify(puts[0]?.Resource)).toContain(`/inspections/${CREDENTIALS_THING_NAME_VARIABLE}/*`);
    expect(nagFindings(stack).filter((f) => f.includes('InspectionUploads') || f.includes('TokenExchange'))).toEqual(
      [],
    );
  }, 180_000);
});
