/** CDK feature flags every App of this project sets (bin/app.ts, synth, tests): one behaviour everywhere. */
export const FEATURE_FLAGS: Readonly<Record<string, unknown>> = Object.freeze({
  // Server access logs are delivered by a bucket policy for logging.s3.amazonaws.com, not a legacy ACL.
  '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
});
