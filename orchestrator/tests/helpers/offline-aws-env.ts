/**
 * AWS settings for a command whose input checks must fail before any request: an endpoint on a local
 * port nothing listens on (the discard port), so a request that should not happen fails at once
 * instead of reaching AWS. The tests that do talk to an AWS API run against moto in sim/tests/aws.
 */
export const OFFLINE_AWS_ENV: Readonly<Record<string, string>> = {
  AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
};
