/** The one-machine wiring behind `edgeqc review`: listens on loopback, the printed link signs in, bad options refused. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasReviewCode, ReviewCode } from '../src/errors.ts';
import { isLoopback, startLocalReview } from '../src/local-review.ts';

let store: string;
beforeAll(async () => {
  store = await mkdtemp(join(tmpdir(), 'edgeqc-local-review-'));
});
afterAll(async () => {
  await rm(store, { recursive: true, force: true });
});

describe('startLocalReview', () => {
  it('listens on 127.0.0.1 and its sign-in link gives a cookie that opens the API over real HTTP', async () => {
    const review = await startLocalReview({ store, port: 0, reviewer: 'pat' });
    try {
      expect(review.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      expect((await fetch(new URL('api/items', review.url))).status).toBe(401);
      const login = await fetch(review.signInUrl, { redirect: 'manual' });
      expect(login.status).toBe(303);
      const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
      const items = await fetch(new URL('api/items', review.url), { headers: { cookie } });
      expect(items.status).toBe(200);
      expect(await items.json()).toMatchObject({ items: [], total: 0, counts: { pending: 0, done: 0 } });
      const me = await (await fetch(new URL('api/session', review.url), { headers: { cookie } })).json();
      expect(me).toEqual({ reviewer: { id: 'local:pat', name: 'pat' } });
    } finally {
      await review.close();
    }
  });

  it('refuses a reviewer name it cannot store plainly, and a port out of range', async () => {
    for (const options of [{ reviewer: 'a/b' }, { reviewer: '' }, { port: 70_000 }, { port: 1.5 }]) {
      const err = await startLocalReview({ store, ...options }).catch((e: unknown) => e);
      expect(hasReviewCode(err, ReviewCode.BadOptions), JSON.stringify(options)).toBe(true);
    }
  });

  it('tells loopback addresses from the others', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', 'localhost'].map(isLoopback)).toEqual([true, true, true, true]);
    expect(['0.0.0.0', '192.168.1.10', '::'].map(isLoopback)).toEqual([false, false, false]);
  });
});
