/**
 * The component bucket: model packages (models/), signed component artifacts (components/), rendered
 * recipes (recipes/) and camera sample images (samples/). Versioned, S3-managed encryption, TLS only,
 * public access blocked, server access logs into a second bucket (which logs nowhere: it is the end of
 * the chain).
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** Key prefixes of the component bucket; IAM statements are scoped to these. */
export const BucketPrefixes = {
  models: 'models/',
  components: 'components/',
  recipes: 'recipes/',
  samples: 'samples/',
} as const;

export interface ComponentBucketProps {
  /** What happens to the buckets when the stack is deleted. Default: RETAIN (artifacts are evidence). */
  readonly removalPolicy?: RemovalPolicy;
}

export class ComponentBucket extends Construct {
  readonly bucket: Bucket;
  readonly accessLogs: Bucket;

  constructor(scope: Construct, id: string, props: ComponentBucketProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.accessLogs = new Bucket(this, 'AccessLogs', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy,
    });
    this.bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.S3_MANAGED,
      versioned: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'component-bucket/',
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(90) }],
      removalPolicy,
    });
  }

  /** ARN pattern of the objects under a prefix (e.g. `components/`). */
  objectsUnder(prefix: string): string {
    return this.bucket.arnForObjects(`${prefix}*`);
  }
}
