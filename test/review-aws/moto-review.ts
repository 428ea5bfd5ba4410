/**
 * The review app's AWS side against moto_server: an inspections bucket filled from the review tests'
 * fixture store (the demo model's sample images and valid edgeqc.inspection.v1 messages, in the
 * uploader's key layout), a decisions table shaped as the CDK stack makes it, and Cognito reviewers
 * with ID tokens.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import {
  AdminCreateUserCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  InitiateAuthCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { MotoServer } from '@edgeqc/sim/moto';

/** Uploads every file under `root` to the bucket under the same relative key (images before messages). */
export async function uploadFolder(s3: S3Client, bucket: string, root: string): Promise<string[]> {
  const files = (await readdir(root, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort((a, b) => Number(a.endsWith('.json')) - Number(b.endsWith('.json')));
  for (const file of files) {
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: relative(root, file).split('\\').join('/'),
        Body: await readFile(file),
      }),
    );
  }
  return files.map((f) => relative(root, f));
}

export async function createBucket(s3: S3Client, bucket: string): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
}

/** The decisions table as ReviewApi creates it (partition key messageId, on demand). */
export async function createDecisionsTable(ddb: DynamoDBClient, tableName: string): Promise<void> {
  await ddb.send(
    new CreateTableCommand({
      TableName: tableName,
      KeySchema: [{ AttributeName: 'messageId', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'messageId', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
}

export interface ReviewerPool {
  readonly userPoolId: string;
  readonly clientId: string;
  readonly jwksUri: string;
  /** An ID token for a new reviewer. */
  idToken(username: string): Promise<string>;
}

/** A user pool with one public client (password sign-in allowed for the test) on moto. */
export async function createReviewerPool(moto: MotoServer): Promise<ReviewerPool> {
  const cognito = new CognitoIdentityProviderClient(moto.config);
  const pool = await cognito.send(new CreateUserPoolCommand({ PoolName: 'edgeqc-reviewers' }));
  const userPoolId = pool.UserPool!.Id!;
  const client = await cognito.send(
    new CreateUserPoolClientCommand({
      UserPoolId: userPoolId,
      ClientName: 'edgeqc-review-page',
      GenerateSecret: false,
      ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
    }),
  );
  const clientId = client.UserPoolClient!.ClientId!;
  return {
    userPoolId,
    clientId,
    jwksUri: `${moto.endpoint}/${userPoolId}/.well-known/jwks.json`,
    async idToken(username) {
      const password = 'Review-Passw0rd!';
      await cognito.send(new AdminCreateUserCommand({ UserPoolId: userPoolId, Username: username }));
      await cognito.send(
        new AdminSetUserPasswordCommand({
          UserPoolId: userPoolId,
          Username: username,
          Password: password,
          Permanent: true,
        }),
      );
      const auth = await cognito.send(
        new InitiateAuthCommand({
          ClientId: clientId,
          AuthFlow: 'USER_PASSWORD_AUTH',
          AuthParameters: { USERNAME: username, PASSWORD: password },
        }),
      );
      const token = auth.AuthenticationResult?.IdToken;
      if (!token) throw new Error(`moto gave no ID token for ${username}`);
      return token;
    },
  };
}

export function clients(moto: MotoServer): { s3: S3Client; ddb: DynamoDBClient } {
  return { s3: new S3Client({ ...moto.config, forcePathStyle: true }), ddb: new DynamoDBClient(moto.config) };
}
