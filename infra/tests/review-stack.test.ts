import { ID_TOKEN_COOKIE } from '@edgeqc/review/adapters/cognito-sign-in';
import { ReviewLambdaEnv } from '@edgeqc/review/lambda-env';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../lib/app.ts';
import { FEATURE_FLAGS } from '../lib/feature-flags.ts';
import { inspectionsBucketName, ReviewStack } from '../lib/review-stack.ts';
import { BUNDLING_STACKS_CONTEXT } from '../lib/synth.ts';
import { cfnLint, nagFindings } from './support/checks.ts';

type Resource = { Type: string; Properties?: Record<string, unknown> };
type Statement = { Sid?: string; Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

const list = <T>(v: T | T[]) => (Array.isArray(v) ? v : [v]);
const appWith = (context: Record<string, unknown> = {}) =>
  new App({ context: { ...FEATURE_FLAGS, [BUNDLING_STACKS_CONTEXT]: [], ...context } });

let stack: ReviewStack;
let template: Template;
let resources: Record<string, Resource>;
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

/** The statements of the policies attached to the review function's role. */
function handlerStatements(): Statement[] {
  const fn = ofType('AWS::Lambda::Function').find(([, r]) =>
    JSON.stringify(r.Properties?.Environment).includes(ReviewLambdaEnv.Table),
  )!;
  const roleRef = JSON.stringify((fn[1].Properties!.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0]);
  return ofType('AWS::IAM::Policy')
    .filter(([, p]) => JSON.stringify(p.Properties!.Roles).includes(roleRef))
    .flatMap(([, p]) => (p.Properties!.PolicyDocument as { Statement: Statement[] }).Statement);
}

beforeAll(() => {
  const app = appWith({ deviceCount: 0 });
  stack = new ReviewStack(app, 'Review', {
    env: { account: '111111111111', region: 'eu-west-1' },
    inspectionsBucketName: 'line-7-inspections',
  });
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources;
  // Synthesizing takes seconds on a busy shared machine.
}, 180_000);

describe('review stack', () => {
  it('keeps decisions in an on-demand DynamoDB table with point-in-time recovery and encryption', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [{ AttributeName: 'messageId', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true },
      Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } })],
    });
  });

  it('lets the function read only under inspections/, list only that prefix and write only under datasets/', () => {
    const statements = handlerStatements();
    const s3 = statements.filter((s) => list(s.Action).some((a) => a.startsWith('s3:')));
    const byAction = (a: string) => s3.filter((s) => list(s.Action).includes(a));
    expect(s3.flatMap((s) => list(s.Action)).sort()).toEqual(['s3:GetObject', 's3:ListBucket', 's3:PutObject']);
    expect(JSON.stringify(byAction('s3:GetObject')[0]!.Resource)).toContain(':s3:::line-7-inspections/inspections/*');
    expect(JSON.stringify(byAction('s3:PutObject')[0]!.Resource)).toContain(':s3:::line-7-inspections/datasets/*');
    expect(byAction('s3:ListBucket')[0]!.Condition).toEqual({ StringLike: { 's3:prefix': ['inspections/*'] } });
    const ddb = statements.filter((s) => list(s.Action).some((a) => a.startsWith('dynamodb:')));
    const actions = ddb.flatMap((s) => list(s.Action));
    expect(actions).not.toContain('dynamodb:DeleteTable');
    expect(actions.some((a) => a.endsWith('*'))).toBe(false);
    expect(JSON.stringify(statements)).not.toMatch(/"s3:\*"|"dynamodb:\*"/);
  });

  it('puts every /api method behind the Cognito user pool authorizer; only the sign-in callback is open', () => {
    const methods = ofType('AWS::ApiGateway::Method');
    const open = methods.filter(([, m]) => m.Properties!.AuthorizationType !== 'COGNITO_USER_POOLS');
    expect(methods.length).toBeGreaterThan(open.length);
    expect(open).toHaveLength(1);
    const [, callback] = open[0]!;
    expect(callback.Properties).toMatchObject({
      HttpMethod: 'GET',
      AuthorizationType: 'NONE',
      RequestParameters: { 'method.request.querystring.code': true },
    });
    const parent = (callback.Properties!.ResourceId as { Ref: string }).Ref;
    expect(resources[parent]!.Properties!.PathPart).toBe('callback');
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', { Type: 'COGNITO_USER_POOLS' });
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'api' });
  });

  it('has reviewers only by invitation, with a strong password, MFA and a public client using the code flow', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      MfaConfiguration: 'ON',
      Policies: { PasswordPolicy: Match.objectLike({ MinimumLength: 12, RequireSymbols: true }) },
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      AllowedOAuthFlows: ['code'],
      CallbackURLs: [
        { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [Match.anyValue(), 'DomainName'] }, '/auth/callback']] },
      ],
    });
  });

  it('serves the page from a private bucket through CloudFront with origin access control, /api/* to the API', () => {
    const [, dist] = ofType('AWS::CloudFront::Distribution')[0]!;
    const config = dist.Properties!.DistributionConfig as {
      Origins: {
        S3OriginConfig?: unknown;
        OriginAccessControlId?: unknown;
        CustomOriginConfig?: unknown;
        OriginPath?: string;
      }[];
      CacheBehaviors: { PathPattern: string; ViewerProtocolPolicy: string }[];
      DefaultCacheBehavior: { ViewerProtocolPolicy: string };
      Logging?: unknown;
    };
    expect(config.Origins.find((o) => o.S3OriginConfig)?.OriginAccessControlId).toBeDefined();
    expect(config.Origins.find((o) => o.CustomOriginConfig)?.OriginPath).toBe('/prod');
    expect(config.CacheBehaviors.map((b) => b.PathPattern)).toEqual(['/api/*', '/auth/*']);
    const api = config.CacheBehaviors[0] as unknown as { FunctionAssociations: { EventType: string }[] };
    expect(api.FunctionAssociations.map((f) => f.EventType)).toEqual(['viewer-request']);
    const [, fn] = ofType('AWS::CloudFront::Function')[0]!;
    expect(String(fn.Properties!.FunctionCode)).toContain(`request.cookies['${ID_TOKEN_COOKIE}']`);
    expect(config.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(config.Logging).toBeDefined();
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: Match.objectLike({ BlockPublicAcls: true, RestrictPublicBuckets: true }),
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'site-bucket/' }),
    });
  });

  it('imports the inspections bucket by its conventional name when none is given', () => {
    const app = appWith();
    const review = new ReviewStack(app, 'ByName', { env: { account: '222222222222', region: 'us-east-1' } });
    const text = JSON.stringify(Template.fromStack(review).toJSON());
    expect(inspectionsBucketName(review)).toBe('edgeqc-inspections-222222222222-us-east-1');
    expect(text).toContain('edgeqc-inspections-222222222222-us-east-1');
  }, 180_000);

  it('is part of the app unless -c review=false', () => {
    expect(buildApp(appWith({ deviceCount: 0 })).review).toBeInstanceOf(ReviewStack);
    expect(buildApp(appWith({ deviceCount: 0, review: 'false' })).review).toBeUndefined();
  }, 180_000);

  it('passes cdk-nag AwsSolutions and cfn-lint', () => {
    expect(nagFindings(stack)).toEqual([]);
    const { status, output } = cfnLint(template.toJSON(), 'review');
    expect(output).toBe('');
    expect(status).toBe(0);
  }, 120_000);
});
