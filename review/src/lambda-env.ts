/**
 * What the review Lambda reads from its environment, and where its entry is: the contract between
 * review/src/lambda.ts and the CDK stack that deploys it (infra imports these; nothing is retyped).
 */
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** The Lambda entry file (`handler` export), for the stack's NodejsFunction. */
export const LAMBDA_ENTRY: string = fileURLToPath(new URL('./lambda.ts', import.meta.url));

export const ReviewLambdaEnv = {
  /** The inspections bucket (uploads read under the inspections prefix, datasets written under theirs). */
  Bucket: 'EDGEQC_REVIEW_BUCKET',
  InspectionsPrefix: 'EDGEQC_REVIEW_INSPECTIONS_PREFIX',
  DatasetsPrefix: 'EDGEQC_REVIEW_DATASETS_PREFIX',
  /** The decisions table. */
  Table: 'EDGEQC_REVIEW_TABLE',
  UserPoolId: 'EDGEQC_REVIEW_USER_POOL_ID',
  ClientId: 'EDGEQC_REVIEW_CLIENT_ID',
  /** Optional: the hosted sign-in domain's base URL; with SiteUrl, enables GET /auth/callback. */
  SignInDomainUrl: 'EDGEQC_REVIEW_SIGN_IN_DOMAIN_URL',
  /** Optional: the review site's URL (`https://<distribution>`); the callback is `<SiteUrl>/auth/callback`. */
  SiteUrl: 'EDGEQC_REVIEW_SITE_URL',
  /** Optional: where the user pool's JWKS is (a Cognito emulator); default Cognito's own URL. */
  JwksUri: 'EDGEQC_REVIEW_JWKS_URI',
} as const;

const prefix = z
  .string()
  .regex(/^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*\/$/, { error: 'expected a key prefix ending in "/"' });

/** The parsed environment (unknown variables are ignored: Lambda sets many). */
export const ReviewLambdaEnvSchema = z.object({
  [ReviewLambdaEnv.Bucket]: z.string().min(3, { error: 'expected an S3 bucket name' }),
  [ReviewLambdaEnv.InspectionsPrefix]: prefix.default('inspections/'),
  [ReviewLambdaEnv.DatasetsPrefix]: prefix.default('datasets/'),
  [ReviewLambdaEnv.Table]: z.string().min(3, { error: 'expected a DynamoDB table name' }),
  [ReviewLambdaEnv.UserPoolId]: z.string().min(1, { error: 'expected a Cognito user pool id' }),
  [ReviewLambdaEnv.ClientId]: z.string().min(1, { error: 'expected a Cognito app client id' }),
  [ReviewLambdaEnv.JwksUri]: z.url({ error: 'expected the URL of a JWKS' }).optional(),
  [ReviewLambdaEnv.SignInDomainUrl]: z.url({ error: 'expected the hosted sign-in domain URL' }).optional(),
  [ReviewLambdaEnv.SiteUrl]: z.url({ error: 'expected the review site URL' }).optional(),
});
export type ReviewLambdaSettings = z.infer<typeof ReviewLambdaEnvSchema>;
