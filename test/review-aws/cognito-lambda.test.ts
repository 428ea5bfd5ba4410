/**
 * The review app as it runs in AWS, against moto_server (started here): the Lambda's wiring
 * (buildAwsReviewApp: S3 catalog, DynamoDB decisions, Cognito authenticator) driven with fastify inject,
 * reviewers signing in to a moto Cognito user pool, and the Lambda handler itself given an API Gateway
 * proxy event.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { Inspection } from '@edgeqc/edge-component/contracts';
import type { ReviewApp } from '@edgeqc/review/app';
import { ReviewLambdaEnv } from '@edgeqc/review/lambda-env';
import { type MotoServer, startMotoServer } from '@edgeqc/sim/moto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAwsReviewApp, handler } from '../../review/src/lambda.ts';
import { writeFixtureStore } from '../../review/tests/helpers/fixture-store.ts';
import {
  clients,
  createBucket,
  createDecisionsTable,
  createReviewerPool,
  type ReviewerPool,
  uploadFolder,
} from './moto-review.ts';

const BUCKET = 'edgeqc-inspections-000000000000-us-east-1';
const TABLE = 'edgeqc-review-decisions';

let moto: MotoServer;
let c: ReturnType<typeof clients>;
let dir: string;
let pool: ReviewerPool;
let env: Record<string, string>;
let app: ReviewApp;
let messages: Inspection[];
let alice: string;
let bob: string;

beforeAll(async () => {
  moto = await startMotoServer({ region: 'us-east-1' });
  c = clients(moto);
  await createBucket(c.s3, BUCKET);
  await createDecisionsTable(c.ddb, TABLE);
  dir = await mkdtemp(join(tmpdir(), 'edgeqc-review-cognito-'));
  messages = await writeFixtureStore(dir, [
    { sample: 'scratch-01.jpg', thingName: 'line-1-cam-1', verdict: 'unclear', capturedAt: '2026-12-01T08:00:00.000Z' },
    {
      sample: 'scratch-02.jpg',
      thingName: 'line-1-cam-1',
      verdict: 'unclear',
      capturedAt: '2026-12-01T09:00:00.000Z',
      withImage: false,
    },
  ]);
  await uploadFolder(c.s3, BUCKET, dir);
  pool = await createReviewerPool(moto);
  env = {
    [ReviewLambdaEnv.Bucket]: BUCKET,
    [ReviewLambdaEnv.Table]: TABLE,
    [ReviewLambdaEnv.UserPoolId]: pool.userPoolId,
    [ReviewLambdaEnv.ClientId]: pool.clientId,
    [ReviewLambdaEnv.JwksUri]: pool.jwksUri,
    LOG_LEVEL: 'silent',
  };
  app = await buildAwsReviewApp(env, { s3: c.s3, dynamodb: c.ddb });
  [alice, bob] = await Promise.all([pool.idToken('alice'), pool.idToken('bob')]);
}, 60_000);

afterAll(async () => {
  await app?.close();
  c?.s3.destroy();
  c?.ddb.destroy();
  await moto?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const get = (url: string, authorization?: string) =>
  app.inject({ url, headers: authorization === undefined ? {} : { authorization } });

describe('Cognito sessions (the review app wired for AWS)', () => {
  it('refuses requests without a token, with a malformed one and with a forged one (401)', async () => {
    expect((await get('/api/items')).statusCode).toBe(401);
    expect((await get('/api/items', 'Bearer not-a-jwt')).statusCode).toBe(401);
    const [h, p] = alice.split('.');
    const forged = `${h}.${p}.${Buffer.from('not the pool key').toString('base64url')}`;
    const r = await get('/api/items', forged);
    expect(r.statusCode).toBe(401);
    expect(r.json().error.code).toBe('UNAUTHENTICATED');
  });

  it('refuses an ID token of another user pool', async () => {
    const other = await createReviewerPool(moto);
    expect((await get('/api/session', await other.idToken('mallory'))).statusCode).toBe(401);
  });

  it('lets a reviewer with a valid ID token in, raw as API Gateway passes it or as a bearer token', async () => {
    const session = await get('/api/session', alice);
    expect(session.statusCode).toBe(200);
    expect(session.json().reviewer.name).toBe('alice');
    const items = await get('/api/items', `Bearer ${alice}`);
    expect(items.statusCode).toBe(200);
    expect(items.json().items.map((i: { messageId: string }) => i.messageId)).toEqual(
      [...messages].reverse().map((m) => m.messageId),
    );
  });

  it('redirects to a presigned URL for an image, and says IMAGE_MISSING for a missing one', async () => {
    const image = await get(`/api/items/${messages[0]!.messageId}/image`, alice);
    expect(image.statusCode).toBe(302);
    expect(image.headers.location).toContain('X-Amz-Signature=');
    const missing = await get(`/api/items/${messages[1]!.messageId}/image`, alice);
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('IMAGE_MISSING');
  });

  it('gives the second of two reviewers deciding the same image at once a 409, and stores the first', async () => {
    const m = messages[0]!;
    const box = { ...m.detections[0]!.box, label: 'scratch' };
    const put = (token: string, body: unknown) =>
      app.inject({
        method: 'PUT',
        url: `/api/items/${m.messageId}/decision`,
        headers: { authorization: token },
        payload: body as Record<string, unknown>,
      });
    const [a, b] = await Promise.all([
      put(alice, { verdict: 'defect', boxes: [box], expectedRevision: 0 }),
      put(bob, { verdict: 'ok', boxes: [], expectedRevision: 0 }),
    ]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 409]);
    const winner = (a.statusCode === 200 ? a : b).json().item.decision;
    const stored = (await get(`/api/items/${m.messageId}`, alice)).json();
    expect(stored.item.decision).toEqual(winner);
    expect(stored.item.revision).toBe(1);
    expect(['alice', 'bob']).toContain(winner.reviewer.name);
  });
});

describe('AWS-only routes', () => {
  it('exports the reviewed images as a dataset under datasets/ of the same bucket', async () => {
    const r = await app.inject({ method: 'POST', url: '/api/export', headers: { authorization: alice } });
    expect(r.statusCode).toBe(200);
    const summary = r.json();
    expect(summary).toMatchObject({ images: 1, classes: ['scratch'], missingImages: 0 });
    expect(summary.location).toMatch(new RegExp(`^s3://${BUCKET}/datasets/[0-9T-]+Z/$`));
    const prefix = summary.location.slice(`s3://${BUCKET}/`.length);
    const listed = await c.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
    const keys = (listed.Contents ?? []).map((o) => o.Key!.slice(prefix.length)).sort();
    const id = messages[0]!.messageId;
    expect(keys).toEqual(['classes.txt', `images/${id}.jpg`, `labels/${id}.txt`, 'manifest.jsonl']);
    const manifest = await c.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: `${prefix}manifest.jsonl` }));
    const line = JSON.parse(await manifest.Body!.transformToString());
    expect(line['source-ref']).toBe(`s3://${BUCKET}/${prefix}images/${id}.jpg`);
    expect((await app.inject({ method: 'POST', url: '/api/export' })).statusCode).toBe(401);
  });

  it('signs a reviewer in through the hosted page: the code becomes an HttpOnly cookie that opens the API', async () => {
    // Cognito's token endpoint, played by a local server that knows one code.
    const tokenEndpoint = createServer((req, res) => {
      let body = '';
      req.on('data', (b) => {
        body += b;
      });
      req.on('end', () => {
        const form = new URLSearchParams(body);
        const good =
          req.url === '/oauth2/token' && form.get('code') === 'good-code' && form.get('client_id') === pool.clientId;
        res.writeHead(good ? 200 : 400, { 'content-type': 'application/json' });
        res.end(JSON.stringify(good ? { id_token: alice, token_type: 'Bearer' } : { error: 'invalid_grant' }));
      });
    });
    await new Promise<void>((done) => tokenEndpoint.listen(0, '127.0.0.1', done));
    const { port } = tokenEndpoint.address() as AddressInfo;
    const signIn = await buildAwsReviewApp(
      {
        ...env,
        [ReviewLambdaEnv.SignInDomainUrl]: `http://127.0.0.1:${port}`,
        [ReviewLambdaEnv.SiteUrl]: 'https://review.example.com',
      },
      { s3: c.s3, dynamodb: c.ddb },
    );
    try {
      const bad = await signIn.inject({ url: '/auth/callback?code=stolen' });
      expect(bad.statusCode).toBe(401);
      expect(bad.headers['set-cookie']).toBeUndefined();
      const ok = await signIn.inject({ url: '/auth/callback?code=good-code' });
      expect(ok.statusCode).toBe(303);
      expect(ok.headers.location).toBe('/');
      const cookie = String(ok.headers['set-cookie']);
      expect(cookie).toMatch(/^edgeqc_id_token=[\w.-]+; HttpOnly; Secure; SameSite=Lax; Path=\/$/);
      const session = await signIn.inject({ url: '/api/session', headers: { cookie: cookie.split(';')[0]! } });
      expect(session.statusCode).toBe(200);
      expect(session.json().reviewer.name).toBe('alice');
    } finally {
      await signIn.close();
      tokenEndpoint.close();
    }
  });
});

describe('the Lambda handler', () => {
  it('answers an API Gateway proxy event through the same app, and 401 without a token', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, env, moto.env);
    try {
      const event = (authorization?: string) => ({
        resource: '/api/{proxy+}',
        path: '/api/session',
        httpMethod: 'GET',
        headers: authorization ? { Authorization: authorization } : {},
        multiValueHeaders: {},
        queryStringParameters: null,
        multiValueQueryStringParameters: null,
        pathParameters: { proxy: 'session' },
        stageVariables: null,
        requestContext: { stage: 'prod', path: '/prod/api/session', httpMethod: 'GET', requestId: 'test' },
        body: null,
        isBase64Encoded: false,
      });
      const ok = (await handler(event(alice), {})) as { statusCode: number; body: string };
      expect(ok.statusCode).toBe(200);
      expect(JSON.parse(ok.body).reviewer.name).toBe('alice');
      const refused = (await handler(event(), {})) as { statusCode: number };
      expect(refused.statusCode).toBe(401);
    } finally {
      process.env = saved;
    }
  });

  it('names the variable when the environment is incomplete', async () => {
    await expect(buildAwsReviewApp({ [ReviewLambdaEnv.Bucket]: BUCKET })).rejects.toThrow(
      /environment EDGEQC_REVIEW_TABLE=undefined/,
    );
  });
});
