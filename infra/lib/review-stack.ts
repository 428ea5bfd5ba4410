/**
 * The review stack: the review app of issue 26 in AWS. A reviewer opens the CloudFront URL, signs in on
 * Cognito's hosted page (administrator-created users, TOTP MFA), and the page calls `/api/*` on the same
 * origin with the ID token; API Gateway's Cognito authorizer lets the request through to the review
 * Lambda (the same fastify app as `edgeqc review`), which checks the token again, reads the uploaded
 * inspections from the inspections bucket, signs presigned GET URLs for their images, stores decisions
 * in DynamoDB and writes datasets under `datasets/`.
 *
 * The page files are uploaded with `aws s3 sync` (infra/README.md), with a `site-config.json` built from
 * the stack's outputs that tells the page where to sign in: no custom-resource Lambda for a few static
 * files.
 */
import { CfnOutput, Fn, Lazy, type RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { ReviewApi } from './constructs/review-api.ts';
import { ReviewAuth } from './constructs/review-auth.ts';
import { ReviewSite } from './constructs/review-site.ts';

/** The inspections bucket's name in a stack's account and region (what the uploader is configured with). */
export function inspectionsBucketName(scope: Construct): string {
  const stack = Stack.of(scope);
  return `edgeqc-inspections-${stack.account}-${stack.region}`;
}

export interface ReviewStackProps extends StackProps {
  /**
   * The bucket the devices upload inspections to, imported by name (as the device fleet stack imports the
   * component bucket: the stacks share no CloudFormation export). Default inspectionsBucketName(this),
   * `edgeqc-inspections-<account>-<region>`, the name the uploader is configured with.
   */
  readonly inspectionsBucketName?: string;
  /** The KMS key of the inspections bucket when it is not S3-managed (the function then may decrypt). Default none. */
  readonly inspectionsKey?: IKey;
  /** Key prefix of the uploads. Default `inspections/`. */
  readonly inspectionsPrefix?: string;
  /** Key prefix the dataset export writes under. Default `datasets/`. */
  readonly datasetsPrefix?: string;
  /** Prefix of the hosted sign-in domain. Default `edgeqc-review-<account>`. */
  readonly signInDomainPrefix?: string;
  /** What happens to the user pool, the decisions table and the buckets on stack deletion. Default RETAIN. */
  readonly removalPolicy?: RemovalPolicy;
}

export class ReviewStack extends Stack {
  readonly auth: ReviewAuth;
  readonly api: ReviewApi;
  readonly site: ReviewSite;
  /** The hosted sign-in page of the review page's app client, back to `<site>/auth/callback`. */
  readonly signInUrl: string;

  constructor(scope: Construct, id: string, props: ReviewStackProps = {}) {
    super(scope, id, props);
    // The app client's callback URL is the distribution's, which is made last (Lazy breaks the order).
    const siteUrl = Lazy.string({ produce: () => this.site.url });
    const callbackUrl = Lazy.string({ produce: () => `${this.site.url}/auth/callback` });
    this.auth = new ReviewAuth(this, 'Auth', {
      callbackUrls: [callbackUrl],
      logoutUrls: [siteUrl],
      domainPrefix: props.signInDomainPrefix,
      removalPolicy: props.removalPolicy,
    });
    this.api = new ReviewApi(this, 'Review', {
      inspectionsBucket: Bucket.fromBucketAttributes(this, 'Inspections', {
        bucketName: props.inspectionsBucketName ?? inspectionsBucketName(this),
        ...(props.inspectionsKey ? { encryptionKey: props.inspectionsKey } : {}),
      }),
      inspectionsPrefix: props.inspectionsPrefix,
      datasetsPrefix: props.datasetsPrefix,
      userPool: this.auth.userPool,
      client: this.auth.client,
      signInDomainUrl: this.auth.signInUrl,
      siteUrl,
      removalPolicy: props.removalPolicy,
    });
    this.site = new ReviewSite(this, 'Site', {
      apiDomainName: this.api.originDomainName,
      apiStageName: this.api.stageName,
      removalPolicy: props.removalPolicy,
    });

    new CfnOutput(this, 'ReviewUrl', { value: this.site.url, description: 'Open this to review' });
    new CfnOutput(this, 'SiteBucketName', {
      value: this.site.bucket.bucketName,
      description: 'aws s3 sync the review page here (infra/README.md)',
    });
    new CfnOutput(this, 'UserPoolId', { value: this.auth.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: this.auth.client.userPoolClientId });
    // The hosted sign-in page for the review page's client (config.json's signInUrl).
    this.signInUrl = Fn.join('', [
      this.auth.signInUrl,
      '/login?response_type=code&scope=openid+email+profile&client_id=',
      this.auth.client.userPoolClientId,
      '&redirect_uri=https%3A%2F%2F',
      this.site.distribution.distributionDomainName,
      '%2Fauth%2Fcallback',
    ]);
    new CfnOutput(this, 'SignInUrl', { value: this.signInUrl, description: "config.json's signInUrl" });
    new CfnOutput(this, 'DecisionsTableName', { value: this.api.table.tableName });
  }
}
