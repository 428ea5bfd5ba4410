/**
 * What every edgeqc bucket shares: S3-managed encryption, public access blocked, TLS only, and ACLs
 * off (the bucket owner owns every object). A bucket spreads these into its own props and adds what is
 * its own (versioning, lifecycle, access logs).
 */
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';

export const PRIVATE_BUCKET = {
  encryption: BucketEncryption.S3_MANAGED,
  blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
  enforceSSL: true,
  objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
} as const;

/**
 * A bucket for another bucket's server access logs, kept a year. It logs nowhere itself: it is the end
 * of the chain.
 */
export function accessLogsBucket(scope: Construct, id: string, removalPolicy: RemovalPolicy): Bucket {
  return new Bucket(scope, id, {
    ...PRIVATE_BUCKET,
    lifecycleRules: [{ expiration: Duration.days(365) }],
    removalPolicy,
  });
}
