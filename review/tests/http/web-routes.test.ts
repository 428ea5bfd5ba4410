/** The page's files: served without a session, nothing else from the disk, config.json for the page. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReviewApp, type ReviewApp } from '../../src/app.ts';
import type { DecisionStore, InspectionCatalog } from '../../src/ports.ts';

const unused = new Proxy({}, { get: () => () => Promise.reject(new Error('not used by the page files')) });
let app: ReviewApp;

beforeAll(async () => {
  app = await buildReviewApp({
    catalog: unused as InspectionCatalog,
    decisions: unused as DecisionStore,
    auth: { authenticate: async () => undefined },
    web: { apiBase: 'https://api.example.test/review/' },
  });
});
afterAll(async () => {
  await app.close();
});

describe('the page files', () => {
  it('serves the page, its modules and the vendor modules of its import map', async () => {
    const index = await app.inject({ url: '/' });
    expect(index.statusCode).toBe(200);
    expect(index.body).toContain('"preact": "./vendor/preact.mjs"');
    for (const url of [
      '/js/main.js',
      '/styles.css',
      '/vendor/preact.mjs',
      '/vendor/hooks.mjs',
      '/vendor/htm-preact.mjs',
    ]) {
      expect((await app.inject({ url })).statusCode, url).toBe(200);
    }
    expect((await app.inject({ url: '/config.json' })).json()).toEqual({ apiBase: 'https://api.example.test/review/' });
  });

  it('serves nothing outside the page folder and the listed modules', async () => {
    for (const url of [
      '/vendor/package.json',
      '/vendor/..%2F..%2Fpackage.json',
      '/../package.json',
      '/%2e%2e/package.json',
      '/js/../../package.json',
    ]) {
      const r = await app.inject({ url });
      expect(r.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(r.body, url).not.toContain('"@edgeqc/review"');
    }
  });
});
