/**
 * The component bucket: model packages (models/), signed component artifacts (components/), rendered
 * recipes (recipes/) and camera sample images (samples/). Versioned, S3-managed encryption, TLS only,
 * public access blocked, server access logs into a second bucket (which logs nowhere: it is the end of
 * the chain).
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { accessLogsBucket, PRIVATE_BUCKET } from './private-bucket.ts';

/** Key prefixes of the component bucket; IAM statements are scoped to these. */
export const BucketPrefixes = {
  models: 'models/',
  components: 'components/',
  recipes: 'recipes/',
  samples: 'samples/',
} as const;

/**
 * The component bucket's name in a stack's account and region. The device fleet stack derives the same
 * name from its own (same) environment, so the stacks share no CloudFormation export.
 */
export function componentBucketName(scope: Construct): string {
  const stack = Stack.of(scope);
  return `edgeqc-components-${stack.account}-${stack.region}`;
}

export interface ComponentBucketProps {
  /** Default: componentBucketName(this) (edgeqc-components-<account>-<region>). */
  readonly bucketName?: string;
  /** What happens to the buckets when the stack is deleted. Default: RETAIN (artifacts are evidence). */
  readonly removalPolicy?: RemovalPolicy;
}

export class ComponentBucket extends Construct {
  readonly bucket: Bucket;
  readonly accessLogs: Bucket;

  constructor(scope: Construct, id: string, props: ComponentBucketProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.accessLogs = accessLogsBucket(this, 'AccessLogs', removalPolicy);
    this.bucket = new Bucket(this, 'Bucket', {
      bucketName: props.bucketName ?? componentBucketName(this),
      ...PRIVATE_BUCKET,
      versioned: true,
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
