/**
 * The review app in AWS Lambda: the same `buildReviewApp` as `edgeqc review`, wired to S3 (the
 * inspections), DynamoDB (the decisions) and Cognito (the reviewers), behind API Gateway through
 * @fastify/aws-lambda. The page itself is served by CloudFront from S3, so the app serves the API only,
 * plus what only AWS has: `POST /api/export` (the dataset under the datasets prefix of the same bucket)
 * and, given the hosted sign-in domain and the site URL, `GET /auth/callback` (cognito-sign-in.ts).
 *
 * The environment (lambda-env.ts) is read and checked once, on the first request; nothing connects at
 * import time. A bad environment fails every request with the variable named (the log says it too).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import awsLambdaFastify from '@fastify/aws-lambda';
import { pino } from 'pino';
import { CognitoAuthenticator } from './adapters/cognito-authenticator.ts';
import { registerCognitoSignIn } from './adapters/cognito-sign-in.ts';
import { DynamoDbDecisionStore } from './adapters/dynamodb-decision-store.ts';
import { S3InspectionCatalog } from './adapters/s3-inspection-catalog.ts';
import { buildReviewApp, type ReviewApp } from './app.ts';
import { ReviewCode, ReviewError } from './errors.ts';
import { exportDataset, S3DatasetSink } from './export/dataset-export.ts';
import { ReviewLambdaEnv, ReviewLambdaEnvSchema } from './lambda-env.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** The app wired for AWS from an environment (exported for tests and for other hosts of the same app). */
export async function buildAwsReviewApp(env: Env, clients?: { s3?: S3Client; dynamodb?: DynamoDBClient }) {
  const parsed = ReviewLambdaEnvSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0]);
    throw new ReviewError(ReviewCode.BadOptions, `environment ${name}=${JSON.stringify(env[name])}: ${issue.message}`);
  }
  const s = parsed.data;
  const log = pino({ level: env.LOG_LEVEL ?? 'info' });
  const s3 = clients?.s3 ?? new S3Client({});
  const catalog = new S3InspectionCatalog({
    client: s3,
    bucket: s[ReviewLambdaEnv.Bucket],
    prefix: s[ReviewLambdaEnv.InspectionsPrefix],
    onCorruptMessage: (key, err) => log.warn({ key, err }, 'not an inspection message; left out of the catalog'),
  });
  const decisions = new DynamoDbDecisionStore({
    client: clients?.dynamodb ?? new DynamoDBClient({}),
    tableName: s[ReviewLambdaEnv.Table],
  });
  const auth = new CognitoAuthenticator({
    userPoolId: s[ReviewLambdaEnv.UserPoolId],
    clientId: s[ReviewLambdaEnv.ClientId],
    ...(s[ReviewLambdaEnv.JwksUri] ? { jwksUri: s[ReviewLambdaEnv.JwksUri] } : {}),
    onRejected: (reason) => log.info({ reason }, 'token refused'),
  });
  const app: ReviewApp = await buildReviewApp({ catalog, decisions, auth, log, web: false });

  // POST /api/export: the reviewed images as a dataset under <datasets prefix><UTC time>/ (export/).
  app.post('/api/export', async () => {
    const now = new Date();
    const stamp = now.toISOString().replace(/[:.]/g, '-');
    const sink = new S3DatasetSink({
      client: s3,
      bucket: s[ReviewLambdaEnv.Bucket],
      prefix: `${s[ReviewLambdaEnv.DatasetsPrefix]}${stamp}/`,
    });
    return exportDataset({ catalog, decisions, sink, now });
  });

  const domainUrl = s[ReviewLambdaEnv.SignInDomainUrl];
  const siteUrl = s[ReviewLambdaEnv.SiteUrl];
  if (domainUrl !== undefined && siteUrl !== undefined) {
    registerCognitoSignIn(app, {
      domainUrl,
      clientId: s[ReviewLambdaEnv.ClientId],
      redirectUri: `${siteUrl.replace(/\/+$/, '')}/auth/callback`,
      auth,
    });
  }
  return app;
}

let proxy: ReturnType<typeof awsLambdaFastify> | undefined;
let starting: Promise<ReturnType<typeof awsLambdaFastify>> | undefined;

async function start(): Promise<ReturnType<typeof awsLambdaFastify>> {
  const app = await buildAwsReviewApp(process.env);
  const p = awsLambdaFastify(app);
  await app.ready();
  return p;
}

/** The Lambda handler (API Gateway REST proxy events). */
export const handler = async (event: unknown, context: unknown): Promise<unknown> => {
  if (proxy === undefined) {
    starting ??= start().catch((err: unknown) => {
      starting = undefined;
      throw err;
    });
    proxy = await starting;
  }
  return (proxy as (e: unknown, c: unknown) => Promise<unknown>)(event, context);
};
