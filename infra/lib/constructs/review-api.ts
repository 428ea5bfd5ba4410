/**
 * The review API in AWS: the review app's fastify app (review/src/lambda.ts) in one Lambda function
 * behind an API Gateway REST API whose every method needs a Cognito ID token, the decisions in a
 * DynamoDB table (on demand, point-in-time recovery, encrypted), the inspection images read from the
 * inspections bucket and datasets written to it.
 *
 * Least privilege: the function may read (GetObject, and ListBucket limited to the prefix) only under
 * `inspections/`, write (PutObject) only under `datasets/`, use the decisions table (items only, no
 * table administration), and write its own log group. Images reach the browser by presigned GET URLs
 * the function signs, so a URL carries the function's right to read that one object and nothing more.
 */
import { join } from 'node:path';
import { LAMBDA_ENTRY, ReviewLambdaEnv as ReviewEnv } from '@edgeqc/review/lambda-env';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  AuthorizationType,
  CognitoUserPoolsAuthorizer,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  RequestValidator,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import type { IUserPool, IUserPoolClient } from 'aws-cdk-lib/aws-cognito';
import { AttributeType, Billing, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, LoggingFormat, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge, acknowledgeWildcards } from './nag.ts';
import { FUNCTION_RUNTIME, REPO_ROOT } from './rollout-functions.ts';

/** The decisions table's partition key (one item per inspection message). */
export const DECISIONS_PARTITION_KEY = 'messageId';

export interface ReviewApiProps {
  /** The bucket the devices upload to (REVIEW-SPEC.md layout). */
  readonly inspectionsBucket: IBucket;
  /** Key prefix of the uploads, with its trailing slash. Default `inspections/`. */
  readonly inspectionsPrefix?: string;
  /** Key prefix the dataset export writes under, with its trailing slash. Default `datasets/`. */
  readonly datasetsPrefix?: string;
  readonly userPool: IUserPool;
  readonly client: IUserPoolClient;
  /** The hosted sign-in domain's base URL (the callback exchanges codes there). */
  readonly signInDomainUrl: string;
  /** The review site's URL (`https://<distribution>`); the sign-in callback is `<siteUrl>/auth/callback`. */
  readonly siteUrl: string;
  /** Log retention of the function and the API's access log. Default three months. */
  readonly logRetention?: RetentionDays;
  /** What happens to the decisions table when the stack is deleted. Default RETAIN (the labels). */
  readonly removalPolicy?: RemovalPolicy;
}

function prefixOf(name: string, value: string): string {
  if (!/^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*\/$/.test(value)) {
    throw new Error(`${name} ${JSON.stringify(value)}: expected a key prefix such as "inspections/" (ending in "/")`);
  }
  return value;
}

export class ReviewApi extends Construct {
  readonly table: TableV2;
  readonly handler: NodejsFunction;
  readonly api: RestApi;
  readonly inspectionsPrefix: string;
  readonly datasetsPrefix: string;
  /** The API's execute-api domain name (CloudFront's origin for `/api/*`). */
  readonly originDomainName: string;
  /** The deployed stage. */
  readonly stageName = 'prod';

  constructor(scope: Construct, id: string, props: ReviewApiProps) {
    super(scope, id);
    this.inspectionsPrefix = prefixOf('inspectionsPrefix', props.inspectionsPrefix ?? 'inspections/');
    this.datasetsPrefix = prefixOf('datasetsPrefix', props.datasetsPrefix ?? 'datasets/');
    if (
      this.inspectionsPrefix.startsWith(this.datasetsPrefix) ||
      this.datasetsPrefix.startsWith(this.inspectionsPrefix)
    ) {
      throw new Error(
        `datasetsPrefix ${this.datasetsPrefix} and inspectionsPrefix ${this.inspectionsPrefix} overlap: expected two separate prefixes`,
      );
    }
    const retention = props.logRetention ?? RetentionDays.THREE_MONTHS;

    this.table = new TableV2(this, 'Decisions', {
      partitionKey: { name: DECISIONS_PARTITION_KEY, type: AttributeType.STRING },
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryptionV2.awsManagedKey(),
      deletionProtection: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });

    const logGroup = new LogGroup(this, 'HandlerLogs', { retention, removalPolicy: RemovalPolicy.DESTROY });
    // Own role, no AWS managed policy: logs go to this function's log group only.
    const role = new Role(this, 'HandlerRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'edgeqc review API: read inspections/, write datasets/, the decisions table',
    });
    role.addToPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    const bucket = props.inspectionsBucket;
    const inspections = bucket.arnForObjects(`${this.inspectionsPrefix}*`);
    const datasets = bucket.arnForObjects(`${this.datasetsPrefix}*`);
    role.addToPolicy(
      new PolicyStatement({ sid: 'ReadInspections', actions: ['s3:GetObject'], resources: [inspections] }),
    );
    role.addToPolicy(
      new PolicyStatement({
        sid: 'ListInspections',
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${this.inspectionsPrefix}*`] } },
      }),
    );
    role.addToPolicy(new PolicyStatement({ sid: 'WriteDatasets', actions: ['s3:PutObject'], resources: [datasets] }));
    if (bucket.encryptionKey) {
      bucket.encryptionKey.grantDecrypt(role);
      bucket.encryptionKey.grant(role, 'kms:GenerateDataKey');
    }
    role.addToPolicy(
      new PolicyStatement({
        sid: 'Decisions',
        actions: [
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:BatchGetItem',
          'dynamodb:Query',
          'dynamodb:Scan',
        ],
        resources: [this.table.tableArn],
      }),
    );
    acknowledgeWildcards(
      role,
      [inspections, datasets],
      'Object keys under one prefix each (inspections/<thing>/<date>/<verdict>/<messageId>.*, datasets/<name>/...): ' +
        'messages arrive from devices after deployment; read only under inspections/, write only under datasets/.',
    );
    acknowledge(role, {
      'AwsSolutions-IAM5[Resource::*]':
        'X-Ray PutTraceSegments/PutTelemetryRecords (tracing) support no resource-level permissions (AWS requires "*").',
    });

    this.handler = new NodejsFunction(this, 'Handler', {
      role,
      entry: LAMBDA_ENTRY,
      handler: 'handler',
      runtime: FUNCTION_RUNTIME,
      architecture: Architecture.X86_64,
      description: 'edgeqc review API (the review app in Lambda)',
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      memorySize: 512,
      timeout: Duration.seconds(29),
      tracing: Tracing.ACTIVE,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      environment: {
        [ReviewEnv.Bucket]: bucket.bucketName,
        [ReviewEnv.InspectionsPrefix]: this.inspectionsPrefix,
        [ReviewEnv.DatasetsPrefix]: this.datasetsPrefix,
        [ReviewEnv.Table]: this.table.tableName,
        [ReviewEnv.UserPoolId]: props.userPool.userPoolId,
        [ReviewEnv.ClientId]: props.client.userPoolClientId,
        [ReviewEnv.SignInDomainUrl]: props.signInDomainUrl,
        [ReviewEnv.SiteUrl]: props.siteUrl,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
        sourceMap: true,
        logLevel: LogLevel.WARNING,
        // The app's web-assets module resolves the page's vendor modules by name when it loads
        // (import.meta.resolve): they are installed beside the bundle instead of bundled.
        nodeModules: ['preact', 'htm'],
      },
    });

    const accessLogs = new LogGroup(this, 'ApiAccessLogs', { retention, removalPolicy: RemovalPolicy.DESTROY });
    this.api = new RestApi(this, 'Api', {
      restApiName: 'edgeqc-review',
      description: 'edgeqc review API: every method needs a reviewer (Cognito ID token)',
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.DESTROY,
      deployOptions: {
        stageName: this.stageName,
        tracingEnabled: true,
        loggingLevel: MethodLoggingLevel.ERROR,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
        throttlingRateLimit: 50,
        throttlingBurstLimit: 100,
      },
    });
    const authorizer = new CognitoUserPoolsAuthorizer(this, 'Reviewers', { cognitoUserPools: [props.userPool] });
    // The gateway checks required parameters and any request model; the bodies themselves are checked
    // by the app (zod: 400 with the field named), which knows the decision format.
    const validator = new RequestValidator(this, 'Validator', {
      restApi: this.api,
      validateRequestParameters: true,
      validateRequestBody: true,
    });
    const integration = new LambdaIntegration(this.handler);
    const apiRoot = this.api.root.addResource('api');
    apiRoot.addProxy({
      anyMethod: true,
      defaultIntegration: integration,
      defaultMethodOptions: {
        authorizationType: AuthorizationType.COGNITO,
        authorizer,
        requestValidator: validator,
      },
    });
    // The hosted sign-in page's callback: reachable before sign-in (it is how a reviewer signs in); it takes
    // only an authorization code, exchanges it at Cognito's token endpoint and checks the token it gets.
    const callback = this.api.root.addResource('auth').addResource('callback');
    const callbackMethod = callback.addMethod('GET', integration, {
      authorizationType: AuthorizationType.NONE,
      requestValidator: validator,
      requestParameters: { 'method.request.querystring.code': true },
    });
    acknowledge(callbackMethod, {
      'AwsSolutions-APIG4':
        "The OAuth callback of Cognito's hosted sign-in page must be reachable without a token: it accepts only " +
        "an authorization code (required, checked by the gateway), exchanges it at the user pool's token endpoint " +
        'and verifies the ID token it gets before setting the session cookie.',
      'AwsSolutions-COG4': 'Same method: the sign-in callback comes before there is a Cognito token to authorize.',
    });
    const stack = Stack.of(this);
    this.originDomainName = `${this.api.restApiId}.execute-api.${stack.region}.${stack.urlSuffix}`;
    acknowledge(this.api, {
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]':
        "API Gateway's account-level CloudWatch role for execution logs: the AWS-maintained policy is the documented minimum.",
      'AwsSolutions-APIG3':
        'No WAF web ACL: every method needs a Cognito ID token, the stage is throttled (50/s, burst 100), and a web ' +
        'ACL is billed monthly per ACL and rule; add one in front for an internet-wide reviewer base.',
    });
  }
}
