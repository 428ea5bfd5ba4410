/**
 * The review app's S3 catalog and DynamoDB decision store against moto_server (started here): the
 * uploader's key layout read back with filters and pages, images by presigned URL, a missing image
 * reported as missing, and decisions written with a revision check so that of two reviewers deciding
 * at once one is stored and the other sees a conflict.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Inspection } from '@edgeqc/edge-component/contracts';
import { DynamoDbDecisionStore } from '@edgeqc/review/adapters/dynamodb-decision-store';
import { S3InspectionCatalog } from '@edgeqc/review/adapters/s3-inspection-catalog';
import { type DecisionRecord, decide, MAX_LOG, type Reviewer } from '@edgeqc/review/domain';
import { type MotoServer, startMotoServer } from '@edgeqc/sim/moto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureKey, writeFixtureStore } from '../../review/tests/helpers/fixture-store.ts';
import { clients, createBucket, createDecisionsTable, uploadFolder } from './moto-review.ts';

const BUCKET = 'edgeqc-inspections-000000000000-eu-west-1';
const TABLE = 'edgeqc-review-decisions';
const alice: Reviewer = { id: 'sub-alice', name: 'alice' };
const bob: Reviewer = { id: 'sub-bob', name: 'bob' };

let moto: MotoServer;
let s3: ReturnType<typeof clients>['s3'];
let ddb: ReturnType<typeof clients>['ddb'];
let dir: string;
let messages: Inspection[];
const corrupt: string[] = [];

beforeAll(async () => {
  moto = await startMotoServer({ region: 'eu-west-1' });
  ({ s3, ddb } = clients(moto));
  await createBucket(s3, BUCKET);
  await createDecisionsTable(ddb, TABLE);
  dir = await mkdtemp(join(tmpdir(), 'edgeqc-review-s3-'));
  messages = await writeFixtureStore(dir, [
    { sample: 'scratch-01.jpg', thingName: 'line-1-cam-1', verdict: 'unclear', capturedAt: '2026-12-01T08:00:00.000Z' },
    { sample: 'scratch-02.jpg', thingName: 'line-1-cam-2', verdict: 'defect', capturedAt: '2026-12-02T09:00:00.000Z' },
    {
      sample: 'scratch-03.jpg',
      thingName: 'line-2-cam-1',
      verdict: 'unclear',
      capturedAt: '2026-12-03T10:00:00.000Z',
      modelVersion: '2.1.0',
    },
    {
      sample: 'scratch-04.jpg',
      thingName: 'line-2-cam-1',
      verdict: 'unclear',
      capturedAt: '2026-12-04T11:00:00.000Z',
      withImage: false,
    },
  ]);
  await uploadFolder(s3, BUCKET, dir);
  // An object in the layout that is not an inspection message, and a key outside the layout.
  await s3.send(
    new PutObjectCommand({
      Bucket: BUCKET,
      Key: 'inspections/line-3/2026/12/05/unclear/broken.json',
      Body: '{"not":1}',
    }),
  );
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'inspections/readme.txt', Body: 'hello' }));
}, 60_000);

afterAll(async () => {
  s3?.destroy();
  ddb?.destroy();
  await moto?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const catalog = () =>
  new S3InspectionCatalog({ client: s3, bucket: BUCKET, onCorruptMessage: (key) => corrupt.push(key) });

describe('S3 inspection catalog', () => {
  it('lists complete inspections newest first, leaving out objects that are not inspection messages', async () => {
    const page = await catalog().list({}, { limit: 100 });
    expect(page.entries.map((e) => e.inspection.capturedAt)).toEqual([
      '2026-12-04T11:00:00.000Z',
      '2026-12-03T10:00:00.000Z',
      '2026-12-02T09:00:00.000Z',
      '2026-12-01T08:00:00.000Z',
    ]);
    expect(page.nextCursor).toBeUndefined();
    expect(corrupt).toEqual(['inspections/line-3/2026/12/05/unclear/broken.json']);
  });

  it('filters by line prefix, model verdict, model version and date, as the local catalog does', async () => {
    const c = catalog();
    const ids = async (f: Parameters<S3InspectionCatalog['list']>[0]) =>
      (await c.list(f, { limit: 100 })).entries.map(
        (e) => e.inspection.thingName + ' ' + e.inspection.capturedAt.slice(0, 10),
      );
    expect(await ids({ thing: 'line-1' })).toEqual(['line-1-cam-2 2026-12-02', 'line-1-cam-1 2026-12-01']);
    expect(await ids({ modelVerdict: 'defect' })).toEqual(['line-1-cam-2 2026-12-02']);
    expect(await ids({ modelVersion: '2.1.0' })).toEqual(['line-2-cam-1 2026-12-03']);
    expect(await ids({ from: '2026-12-02T00:00:00Z', to: '2026-12-03T10:00:00Z' })).toEqual([
      'line-1-cam-2 2026-12-02',
    ]);
  });

  it('pages through one listing with the cursor it returns, and refuses a cursor it did not', async () => {
    const c = catalog();
    const first = await c.list({}, { limit: 3 });
    expect(first.entries).toHaveLength(3);
    const second = await c.list({}, { cursor: first.nextCursor!, limit: 3 });
    expect(second.entries.map((e) => e.inspection.capturedAt)).toEqual(['2026-12-01T08:00:00.000Z']);
    expect(second.nextCursor).toBeUndefined();
    // Another instance (another Lambda) lists again for the same cursor.
    const elsewhere = await catalog().list({}, { cursor: first.nextCursor!, limit: 3 });
    expect(elsewhere.entries).toEqual(second.entries);
    await expect(c.list({}, { cursor: 'page-2', limit: 3 })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('serves an image by a presigned GET URL that returns the uploaded bytes', async () => {
    const m = messages[0]!;
    const entry = await catalog().get(m.messageId);
    expect(entry).toMatchObject({ imagePresent: true, inspection: { messageId: m.messageId } });
    const ref = await catalog().image(m.messageId);
    expect(ref.kind).toBe('url');
    const url = (ref as { url: string }).url;
    expect(url).toContain('X-Amz-Signature=');
    const res = await fetch(url);
    expect(res.status).toBe(200);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([bytes[0], bytes[1]]).toEqual([0xff, 0xd8]);
  });

  it('reports an inspection whose image object is missing as such, not as an error', async () => {
    const m = messages[3]!;
    expect(await catalog().get(m.messageId)).toMatchObject({ imagePresent: false });
    expect(await catalog().image(m.messageId)).toEqual({ kind: 'missing' });
    // An image deleted after the upload is missing too.
    const gone = messages[2]!;
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: fixtureKey(gone, 'jpg') }));
    expect(await catalog().image(gone.messageId)).toEqual({ kind: 'missing' });
    expect(await catalog().get('f'.repeat(64))).toBeUndefined();
  });
});

function recordFor(
  m: Inspection,
  reviewer: Reviewer,
  verdict: 'ok' | 'defect',
  expectedRevision: number,
  prev?: DecisionRecord,
) {
  const r = decide(prev, {
    messageId: m.messageId,
    subject: {
      thingName: m.thingName,
      capturedAt: m.capturedAt,
      modelName: m.model.name,
      modelVersion: m.model.version,
      modelVerdict: m.verdict,
      imageWidth: m.image.width,
      imageHeight: m.image.height,
    },
    verdict,
    boxes: verdict === 'ok' ? [] : [{ x: 1, y: 2, width: 30, height: 40, label: 'scratch' }],
    reviewer,
    at: new Date().toISOString(),
    actionId: `${reviewer.id}-${Math.random()}`,
    expectedRevision,
  });
  if (r.kind !== 'changed') throw new Error('fixture: expected a change');
  return r.record;
}

describe('DynamoDB decision store', () => {
  const store = () => new DynamoDbDecisionStore({ client: ddb, tableName: TABLE });

  it('stores a first decision and reads it back', async () => {
    const m = messages[0]!;
    const record = recordFor(m, alice, 'defect', 0);
    expect(await store().put(record, 0)).toEqual({ kind: 'stored', record });
    expect(await store().get(m.messageId)).toEqual(record);
    expect(await store().get('0'.repeat(64))).toBeUndefined();
  });

  it('gives the second of two reviewers deciding at once a conflict and overwrites nothing', async () => {
    const m = messages[1]!;
    const a = recordFor(m, alice, 'defect', 0);
    const b = recordFor(m, bob, 'ok', 0);
    const [ra, rb] = await Promise.all([store().put(a, 0), store().put(b, 0)]);
    expect([ra.kind, rb.kind].sort()).toEqual(['conflict', 'stored']);
    const winner = ra.kind === 'stored' ? a : b;
    const loser = ra.kind === 'stored' ? rb : ra;
    expect(loser).toEqual({ kind: 'conflict', current: winner });
    expect(await store().get(m.messageId)).toEqual(winner);
  });

  it('refuses a change based on a stale revision and keeps the stored record', async () => {
    const m = messages[2]!;
    const first = recordFor(m, alice, 'defect', 0);
    await store().put(first, 0);
    const second = recordFor(m, bob, 'ok', 1, first);
    expect((await store().put(second, 1)).kind).toBe('stored');
    const stale = recordFor(m, alice, 'defect', 1, first);
    expect(await store().put(stale, 1)).toEqual({ kind: 'conflict', current: second });
    expect((await store().get(m.messageId))?.revision).toBe(2);
  });

  it('lists the records, all or those a reviewer took part in', async () => {
    const all = await store().list({});
    expect(all.map((r) => r.messageId).sort()).toEqual(
      messages
        .slice(0, 3)
        .map((m) => m.messageId)
        .sort(),
    );
    const bobs = await store().list({ reviewerId: bob.id });
    expect(bobs.every((r) => r.log.some((e) => e.kind === 'decided' && e.decision.reviewer.id === bob.id))).toBe(true);
  });

  it('keeps a record of the largest size the domain allows within one DynamoDB item', async () => {
    const m = messages[3]!;
    let record: DecisionRecord | undefined;
    const boxes = Array.from({ length: 300 }, (_, i) => ({ x: i, y: i, width: 10.5, height: 20.25, label: 'scratch' }));
    for (let i = 0; i < MAX_LOG; i++) {
      const r = decide(record, {
        messageId: m.messageId,
        subject: recordFor(m, alice, 'ok', 0).subject,
        verdict: 'defect',
        boxes,
        reviewer: alice,
        at: new Date(Date.UTC(2026, 11, 7, 0, 0, i)).toISOString(),
        actionId: `a-${i}`,
        expectedRevision: record?.revision ?? 0,
      });
      if (r.kind !== 'changed') throw new Error('expected a change');
      record = r.record;
    }
    // The full log and undo stack of 300 boxes each, stored as one first revision.
    const largest = { ...record!, revision: 1 };
    expect(JSON.stringify(largest).length).toBeGreaterThan(400 * 1024);
    expect((await store().put(largest, 0)).kind).toBe('stored');
    expect(await store().get(m.messageId)).toEqual(largest);
  });
});
