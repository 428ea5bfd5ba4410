import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InspectionSchema } from '../../../src/contracts/inspection.ts';
import { JPEG, postImage, type RunningApi, startApi } from './http-harness.ts';

describe('POST /v1/inspect (real socket, fake inspection service)', () => {
  let api: RunningApi;
  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(() => api.server.close());
  beforeEach(() => {
    api.fake.calls.length = 0;
    api.fake.answer('ok');
  });

  it.each(['ok', 'defect', 'unclear'] as const)(
    'answers a %s verdict with the service message, schema-valid and unchanged',
    async (verdict) => {
      api.fake.answer(verdict);
      const res = await postImage(api.url, JPEG);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const body = await res.json();
      const message = InspectionSchema.parse(body);
      expect(message.verdict).toBe(verdict);
      expect(body).toEqual(JSON.parse(JSON.stringify(message)));
      if (verdict !== 'ok') expect(message.detections.length).toBeGreaterThan(0);
    },
  );

  it('passes the body bytes to the service as an encoded image, whatever the declared image type', async () => {
    for (const contentType of ['image/jpeg', 'image/png', 'application/octet-stream', 'image/jpeg; charset=binary']) {
      const res = await postImage(api.url, JPEG, { contentType });
      expect(res.status, contentType).toBe(200);
    }
    expect(api.fake.calls).toHaveLength(4);
    for (const call of api.fake.calls) {
      expect(call.image.kind).toBe('encoded');
      expect(call.image.kind === 'encoded' && Buffer.from(call.image.bytes).equals(JPEG)).toBe(true);
      expect(call.image.name).toBeUndefined();
    }
  });

  it('passes publish and archive to the service, false unless asked for', async () => {
    const cases: Array<[string, { publish: boolean; archive: boolean }]> = [
      ['', { publish: false, archive: false }],
      ['publish=true', { publish: true, archive: false }],
      ['archive=true', { publish: false, archive: true }],
      ['publish=true&archive=true', { publish: true, archive: true }],
      ['publish=false&archive=false', { publish: false, archive: false }],
    ];
    for (const [query, expected] of cases) {
      expect((await postImage(api.url, JPEG, { query })).status, query).toBe(200);
      expect(api.fake.calls.at(-1)?.options, query).toEqual(expected);
    }
  });

  it('records the name given in the query as the image file name', async () => {
    const res = await postImage(api.url, JPEG, { query: `name=${encodeURIComponent('part 42.jpg')}` });
    expect(res.status).toBe(200);
    expect(api.fake.calls[0]?.image.name).toBe('part 42.jpg');
    expect(InspectionSchema.parse(await res.json()).image.file).toBe('part 42.jpg');
  });

  it.each([
    ['publish=yes', 'publish'],
    ['archive=1', 'archive'],
    ['publish=', 'publish'],
    ['publish=true&publish=false', 'publish'],
    ['archve=true', 'archve'],
    ['name=../etc/passwd', 'name'],
    ['name=a%2Fb.jpg', 'name'],
    ['name=', 'name'],
    [`name=${'x'.repeat(256)}`, 'name'],
  ])('refuses the query %s with 400 naming %s, without calling the service', async (query, named) => {
    const res = await postImage(api.url, JPEG, { query });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body).toEqual({ error: { code: 'HTTP_BAD_REQUEST', message: expect.stringContaining(named) } });
    expect(api.fake.calls).toHaveLength(0);
  });
});
