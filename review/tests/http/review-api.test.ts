/**
 * The review API through fastify's inject, over the local adapters on a temporary store built from the
 * demo model's samples: sessions (401), bad input (400 naming the field), two reviewers at once (409,
 * nothing overwritten), a missing image, mark-all-ok, undo and agreement.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Inspection } from '@edgeqc/edge-component/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalFolderCatalog } from '../../src/adapters/local-folder-catalog.ts';
import { LocalJsonDecisionStore } from '../../src/adapters/local-json-decision-store.ts';
import { createLocalSession, LOCAL_SESSION_COOKIE } from '../../src/adapters/local-session-auth.ts';
import { buildReviewApp, type ReviewApp } from '../../src/app.ts';
import type { Reviewer } from '../../src/domain/index.ts';
import type { Authenticator } from '../../src/ports.ts';
import { writeFixtureStore } from '../helpers/fixture-store.ts';

const alice: Reviewer = { id: 'alice', name: 'Alice' };
const bob: Reviewer = { id: 'bob', name: 'Bob' };
const carol: Reviewer = { id: 'carol', name: 'Carol' };
/** Test sessions: header x-reviewer names the reviewer. */
const headerAuth: Authenticator = {
  async authenticate(h) {
    return [alice, bob, carol].find((r) => r.id === h['x-reviewer']);
  },
};
const as = (r: Reviewer) => ({ 'x-reviewer': r.id });

let root: string;
let app: ReviewApp;
let messages: Inspection[];
const byFile = (file: string) => messages.find((m) => m.image.file === file)!;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'edgeqc-review-api-'));
  messages = await writeFixtureStore(root, [
    { sample: 'scratch-01.jpg', thingName: 'line-1-cam-1', verdict: 'unclear', capturedAt: '2026-12-01T10:00:00.000Z' },
    { sample: 'scratch-02.jpg', thingName: 'line-1-cam-2', verdict: 'defect', capturedAt: '2026-12-02T10:00:00.000Z' },
    { sample: 'clean-01.jpg', thingName: 'line-2-cam-1', verdict: 'ok', capturedAt: '2026-12-03T10:00:00.000Z' },
    {
      sample: 'scratch-03.jpg',
      thingName: 'line-2-cam-1',
      verdict: 'unclear',
      capturedAt: '2026-12-04T10:00:00.000Z',
      modelVersion: '2.1.0',
    },
    {
      sample: 'scratch-04.jpg',
      thingName: 'line-2-cam-1',
      verdict: 'unclear',
      capturedAt: '2026-12-05T10:00:00.000Z',
      withImage: false,
    },
  ]);
  app = await buildReviewApp({
    catalog: new LocalFolderCatalog({ root }),
    decisions: new LocalJsonDecisionStore(root),
    auth: headerAuth,
    web: false,
  });
});

afterAll(async () => {
  await app?.close();
  await rm(root, { recursive: true, force: true });
});

describe('sessions', () => {
  it('refuses every API request without a valid session with 401', async () => {
    const id = messages[0]!.messageId;
    for (const [method, url] of [
      ['GET', '/api/items'],
      ['GET', `/api/items/${id}`],
      ['GET', `/api/items/${id}/image`],
      ['PUT', `/api/items/${id}/decision`],
      ['POST', '/api/undo'],
      ['GET', '/api/agreement'],
    ] as const) {
      const r = await app.inject({ method, url, headers: { 'x-reviewer': 'mallory' }, payload: {} });
      expect(r.statusCode, `${method} ${url}`).toBe(401);
      expect(r.json().error.code).toBe('UNAUTHENTICATED');
    }
  });

  it('exchanges the sign-in link for an HttpOnly cookie that then opens the API', async () => {
    const session = createLocalSession(alice, { token: 'the-token' });
    const local = await buildReviewApp({
      catalog: new LocalFolderCatalog({ root }),
      decisions: new LocalJsonDecisionStore(root),
      auth: session.authenticator,
      login: session.login,
      web: false,
    });
    try {
      expect((await local.inject({ url: '/login?token=wrong' })).statusCode).toBe(401);
      const login = await local.inject({ url: '/login?token=the-token' });
      expect(login.statusCode).toBe(303);
      const setCookie = String(login.headers['set-cookie']);
      expect(setCookie).toMatch(/HttpOnly/);
      expect(setCookie).toMatch(/SameSite=Strict/);
      const cookie = setCookie.split(';')[0]!;
      expect(cookie.startsWith(`${LOCAL_SESSION_COOKIE}=`)).toBe(true);
      const me = await local.inject({ url: '/api/session', headers: { cookie } });
      expect(me.json()).toEqual({ reviewer: alice });
      const forged = await local.inject({
        url: '/api/session',
        headers: { cookie: `${LOCAL_SESSION_COOKIE}=the-token` },
      });
      expect(forged.statusCode).toBe(401);
    } finally {
      await local.close();
    }
  });
});

describe('listing', () => {
  it('lists pending items newest first with counts, and filters by line, verdict, model version and date', async () => {
    const all = (await app.inject({ url: '/api/items?status=all', headers: as(alice) })).json();
    expect(all.items.map((i: { capturedAt: string }) => i.capturedAt.slice(0, 10))).toEqual([
      '2026-12-05',
      '2026-12-04',
      '2026-12-03',
      '2026-12-02',
      '2026-12-01',
    ]);
    const q = async (query: string) =>
      (await app.inject({ url: `/api/items?status=all&${query}`, headers: as(alice) }))
        .json()
        .items.map((i: { image: { file: string } }) => i.image.file);
    expect(await q('thing=line-1')).toEqual(['scratch-02.jpg', 'scratch-01.jpg']);
    expect(await q('verdict=unclear&thing=line-2-cam-1')).toEqual(['scratch-04.jpg', 'scratch-03.jpg']);
    expect(await q('modelVersion=2.1.0')).toEqual(['scratch-03.jpg']);
    expect(await q('from=2026-12-02&to=2026-12-04')).toEqual(['clean-01.jpg', 'scratch-02.jpg']);
    const page = (await app.inject({ url: '/api/items?status=all&limit=2&offset=2', headers: as(alice) })).json();
    expect(page.items.map((i: { image: { file: string } }) => i.image.file)).toEqual([
      'clean-01.jpg',
      'scratch-02.jpg',
    ]);
    expect(page.total).toBe(5);
  });

  it('answers 400 naming the query field for a bad filter', async () => {
    const r = await app.inject({ url: '/api/items?verdict=maybe', headers: as(alice) });
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toMatchObject({ code: 'INVALID_REQUEST', field: 'verdict' });
    const limit = await app.inject({ url: '/api/items?limit=5000', headers: as(alice) });
    expect(limit.json().error.field).toBe('limit');
  });

  it('lists an item whose image object is missing as such, and its image route says IMAGE_MISSING', async () => {
    const gone = byFile('scratch-04.jpg');
    const list = (await app.inject({ url: '/api/items?status=all', headers: as(alice) })).json();
    const item = list.items.find((i: { messageId: string }) => i.messageId === gone.messageId);
    expect(item.image.present).toBe(false);
    const detail = await app.inject({ url: `/api/items/${gone.messageId}`, headers: as(alice) });
    expect(detail.statusCode).toBe(200);
    expect(detail.json().imageUrl).toBeNull();
    expect(detail.json().message).toEqual(gone);
    const image = await app.inject({ url: `/api/items/${gone.messageId}/image`, headers: as(alice) });
    expect(image.statusCode).toBe(404);
    expect(image.json().error.code).toBe('IMAGE_MISSING');
  });

  it('serves a present image with its content type', async () => {
    const m = byFile('scratch-01.jpg');
    const image = await app.inject({ url: `/api/items/${m.messageId}/image`, headers: as(alice) });
    expect(image.statusCode).toBe(200);
    expect(image.headers['content-type']).toBe('image/jpeg');
    expect(image.rawPayload.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
  });
});

describe('decisions', () => {
  const decide = (r: Reviewer, id: string, payload: unknown) =>
    app.inject({ method: 'PUT', url: `/api/items/${id}/decision`, headers: as(r), payload: payload as object });

  it('answers 400 naming the field for malformed or oversize decisions', async () => {
    const id = byFile('scratch-02.jpg').messageId;
    const cases: Array<[unknown, string]> = [
      [{ verdict: 'maybe', boxes: [], expectedRevision: 0 }, 'verdict'],
      [
        { verdict: 'defect', boxes: [{ x: 1, y: 1, width: -3, height: 2, label: 'scratch' }], expectedRevision: 0 },
        'boxes.0.width',
      ],
      [
        { verdict: 'defect', boxes: [{ x: 1250, y: 1, width: 100, height: 2, label: 'scratch' }], expectedRevision: 0 },
        'boxes.0.width',
      ],
      [{ verdict: 'ok', boxes: [], expectedRevision: 0, extra: 1 }, 'extra'],
      [{ verdict: 'ok', boxes: [], expectedRevision: 'one' }, 'expectedRevision'],
      [{ verdict: 'ok', boxes: [{ x: 1, y: 1, width: 2, height: 2, label: 'scratch' }], expectedRevision: 0 }, 'boxes'],
      [
        {
          verdict: 'defect',
          boxes: Array.from({ length: 301 }, () => ({ x: 1, y: 1, width: 2, height: 2, label: 'scratch' })),
          expectedRevision: 0,
        },
        'boxes',
      ],
    ];
    for (const [payload, field] of cases) {
      const r = await decide(alice, id, payload);
      expect(r.statusCode, JSON.stringify(payload).slice(0, 80)).toBe(400);
      expect(r.json().error.field).toBe(field);
    }
    const huge = await app.inject({
      method: 'PUT',
      url: `/api/items/${id}/decision`,
      headers: { ...as(alice), 'content-type': 'application/json' },
      payload: `{"verdict":"ok","boxes":[],"expectedRevision":0,"pad":"${'x'.repeat(300_000)}"}`,
    });
    expect(huge.statusCode).toBe(400);
    expect(huge.json().error.field).toBe('body');
    const notJson = await app.inject({
      method: 'PUT',
      url: `/api/items/${id}/decision`,
      headers: { ...as(alice), 'content-type': 'application/json' },
      payload: '{"verdict":',
    });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json().error.field).toBe('body');
    const badId = await decide(alice, 'not-an-id', { verdict: 'ok', boxes: [], expectedRevision: 0 });
    expect(badId.json().error.field).toBe('messageId');
  });

  it('gives the second of two reviewers deciding the same image a 409 and overwrites nothing', async () => {
    const m = byFile('scratch-01.jpg');
    const box = { ...m.detections[0]!.box, label: 'scratch' };
    const [a, b] = await Promise.all([
      decide(alice, m.messageId, { verdict: 'defect', boxes: [box], expectedRevision: 0 }),
      decide(bob, m.messageId, { verdict: 'ok', boxes: [], expectedRevision: 0 }),
    ]);
    const statuses = [a.statusCode, b.statusCode].sort();
    expect(statuses).toEqual([200, 409]);
    const winner = a.statusCode === 200 ? a : b;
    const loser = a.statusCode === 200 ? b : a;
    expect(loser.json().item.decision).toEqual(winner.json().item.decision);
    const stored = (await app.inject({ url: `/api/items/${m.messageId}`, headers: as(alice) })).json();
    expect(stored.item.revision).toBe(1);
    expect(stored.item.decision).toEqual(winner.json().item.decision);
    expect(stored.log).toHaveLength(1);
  });

  it('stores the reviewer, the time and the corrected boxes, and a stale revision is a conflict', async () => {
    const m = byFile('scratch-03.jpg');
    const boxes = [{ x: 10, y: 20, width: 30, height: 40, label: 'scratch' }];
    const r = await decide(alice, m.messageId, { verdict: 'defect', boxes, expectedRevision: 0 });
    expect(r.statusCode).toBe(200);
    expect(r.json().item.decision).toMatchObject({ verdict: 'defect', boxes, reviewer: alice, revision: 1 });
    expect(Number.isNaN(Date.parse(r.json().item.decision.decidedAt))).toBe(false);
    const stale = await decide(bob, m.messageId, { verdict: 'ok', boxes: [], expectedRevision: 0 });
    expect(stale.statusCode).toBe(409);
    const fresh = await decide(bob, m.messageId, { verdict: 'ok', boxes: [], expectedRevision: 1 });
    expect(fresh.statusCode).toBe(200);
  });

  it('marks a page as ok in one action, undoes it as one, and records the undo', async () => {
    const ids = [byFile('scratch-02.jpg'), byFile('clean-01.jpg')].map((m) => m.messageId);
    const items = ids.map((messageId) => ({ messageId, expectedRevision: 0 }));
    const marked = await app.inject({
      method: 'POST',
      url: '/api/decisions/mark-ok',
      headers: as(bob),
      payload: { verdict: 'ok', items },
    });
    expect(marked.statusCode).toBe(200);
    expect(marked.json().decided).toHaveLength(2);
    const again = await app.inject({
      method: 'POST',
      url: '/api/decisions/mark-ok',
      headers: as(alice),
      payload: { verdict: 'ok', items },
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().conflicts).toHaveLength(2);

    const undo = await app.inject({ method: 'POST', url: '/api/undo', headers: as(bob) });
    expect(undo.statusCode).toBe(200);
    expect(undo.json().items.map((i: { status: string }) => i.status)).toEqual(['pending', 'pending']);
    const detail = (await app.inject({ url: `/api/items/${ids[0]}`, headers: as(bob) })).json();
    expect(detail.log.map((e: { kind: string }) => e.kind)).toEqual(['decided', 'undone']);
    expect(detail.item.revision).toBe(2);
  });

  it('refuses to undo a decision someone else decided on top of (409), and says when nothing is left', async () => {
    // bob's previous action (scratch-03 ok over alice's defect) is now his last one: alice decides on top.
    const m = byFile('scratch-03.jpg');
    expect(
      (
        await decide(alice, m.messageId, {
          verdict: 'defect',
          boxes: [{ x: 1, y: 1, width: 5, height: 5, label: 'scratch' }],
          expectedRevision: 2,
        })
      ).statusCode,
    ).toBe(200);
    const undo = await app.inject({ method: 'POST', url: '/api/undo', headers: as(bob) });
    expect(undo.statusCode).toBe(409);
    const after = (await app.inject({ url: `/api/items/${m.messageId}`, headers: as(bob) })).json();
    expect(after.item.decision.reviewer).toEqual(alice);
    const nothing = await app.inject({ method: 'POST', url: '/api/undo', headers: as(carol) });
    expect(nothing.statusCode).toBe(404);
    expect(nothing.json().error.code).toBe('NOTHING_TO_UNDO');
  });

  it('reports agreement between model and reviewers per model version', async () => {
    const r = (await app.inject({ url: '/api/agreement', headers: as(alice) })).json();
    const versions = r.versions.map((v: { modelVersion: string }) => v.modelVersion);
    expect(versions).toEqual(['2.1.0', '2.0.0']);
    const v21 = r.versions[0];
    expect(v21.reviewed).toBe(1);
    expect(v21.table.unclear.defect).toBe(1);
    expect(v21.agreement).toBeNull();
  });
});
