/**
 * The review page in AWS: a private S3 bucket behind a CloudFront distribution (origin access control,
 * HTTPS only) that also routes `/api/*` and the sign-in callback `/auth/*` to the review API, so the page
 * and its API share one origin (no CORS; the reviewer's ID token, kept in an HttpOnly cookie, travels
 * only to that origin and a CloudFront function hands it to API Gateway as the Authorization header). CloudFront writes access logs to a log
 * bucket; the site bucket writes server access logs there too.
 */

import { ID_TOKEN_COOKIE } from '@edgeqc/review/adapters/cognito-sign-in';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  AllowedMethods,
  CacheCookieBehavior,
  CacheHeaderBehavior,
  CachePolicy,
  CacheQueryStringBehavior,
  Function as CloudFrontFunction,
  Distribution,
  FunctionCode,
  FunctionEventType,
  FunctionRuntime,
  HttpVersion,
  OriginProtocolPolicy,
  OriginRequestPolicy,
  OriginSslPolicy,
  PriceClass,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin, S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge } from './nag.ts';

export interface ReviewSiteProps {
  /**
   * The review API's execute-api domain and stage: CloudFront sends `/api/*` to `https://<domain>/<stage>/api/*`.
   * (A domain and a stage name, not the RestApi: the distribution must not wait for the API's deployment,
   * whose function needs the app client, whose callback URL is this distribution's.)
   */
  readonly apiDomainName: string;
  readonly apiStageName: string;
  /** What happens to the buckets when the stack is deleted. Default RETAIN. */
  readonly removalPolicy?: RemovalPolicy;
}

export class ReviewSite extends Construct {
  readonly bucket: Bucket;
  readonly logs: Bucket;
  readonly distribution: Distribution;

  constructor(scope: Construct, id: string, props: ReviewSiteProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    // CloudFront standard logs are delivered with an ACL: the log bucket keeps object ACLs (its own only).
    this.logs = new Bucket(this, 'Logs', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy,
    });
    acknowledge(this.logs, {
      'AwsSolutions-S1': 'The log bucket is the end of the logging chain (logging it into itself would loop).',
    });
    this.bucket = new Bucket(this, 'Site', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.logs,
      serverAccessLogsPrefix: 'site-bucket/',
      removalPolicy,
    });

    // The API is never cached; the Authorization header is part of the (empty) cache key so that
    // CloudFront forwards it, and query strings pass (the list filters).
    const apiPolicy = new CachePolicy(this, 'ApiNoCache', {
      comment: 'edgeqc review API: not cached, Authorization and query strings forwarded',
      defaultTtl: Duration.seconds(0),
      minTtl: Duration.seconds(0),
      maxTtl: Duration.seconds(1),
      headerBehavior: CacheHeaderBehavior.allowList('Authorization'),
      queryStringBehavior: CacheQueryStringBehavior.all(),
      cookieBehavior: CacheCookieBehavior.none(),
    });
    // The sign-in cookie becomes the Authorization header API Gateway's Cognito authorizer reads.
    const cookieToHeader = new CloudFrontFunction(this, 'TokenFromCookie', {
      comment: 'edgeqc review: the sign-in cookie as the Authorization header of /api requests',
      runtime: FunctionRuntime.JS_2_0,
      code: FunctionCode.fromInline(
        [
          'function handler(event) {',
          '  var request = event.request;',
          `  var cookie = request.cookies['${ID_TOKEN_COOKIE}'];`,
          '  if (!request.headers.authorization && cookie && cookie.value) {',
          '    request.headers.authorization = { value: cookie.value };',
          '  }',
          '  return request;',
          '}',
        ].join('\n'),
      ),
    });
    const apiOrigin = new HttpOrigin(props.apiDomainName, {
      originPath: `/${props.apiStageName}`,
      protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY,
      originSslProtocols: [OriginSslPolicy.TLS_V1_2],
      readTimeout: Duration.seconds(30),
    });
    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'edgeqc review page and API',
      defaultRootObject: 'index.html',
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: this.logs,
      logFilePrefix: 'cloudfront/',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
      },
      additionalBehaviors: {
        '/api/*': {
          origin: apiOrigin,
          viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: AllowedMethods.ALLOW_ALL,
          cachePolicy: apiPolicy,
          originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
          functionAssociations: [{ function: cookieToHeader, eventType: FunctionEventType.VIEWER_REQUEST }],
        },
        '/auth/*': {
          origin: apiOrigin,
          viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
          cachePolicy: CachePolicy.CACHING_DISABLED,
          originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        },
      },
    });
    acknowledge(this.distribution, {
      'AwsSolutions-CFR1': 'Reviewers may work from any country; access is by Cognito sign-in, not by geography.',
      'AwsSolutions-CFR2':
        'No WAF web ACL: the page is static and every API method needs a Cognito ID token; a web ACL is billed ' +
        'monthly per ACL and rule (add one for an internet-wide reviewer base).',
      'AwsSolutions-CFR4':
        'The distribution uses its default *.cloudfront.net certificate (no custom domain); CloudFront then allows ' +
        'TLSv1 at the viewer. With a custom domain, set an ACM certificate and TLSv1.2_2021.',
    });
  }

  /** The page's URL (https://<id>.cloudfront.net). */
  get url(): string {
    return `https://${this.distribution.distributionDomainName}`;
  }
}
