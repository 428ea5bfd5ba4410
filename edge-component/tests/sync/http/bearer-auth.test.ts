import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer } from '../../../src/sync/http/start-http-server.ts';
import { fakeInspectionService } from '../fake-inspection-service.ts';
import { apiError, JPEG, postImage, rawRequest } from './http-harness.ts';

const TOKEN = 'line-7-controller-0123456789abcdef';

describe('bearer token', () => {
  const logged: string[] = [];
  const fake = fakeInspectionService();
  let url: string;
  let close: () => Promise<void>;
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged.push(chunk.toString());
        done();
      },
    });
    const server = await startHttpServer(
      { service: fake, log: pino({ level: 'trace' }, sink) },
      { authToken: TOKEN, maxBodyBytes: 1024 },
    );
    ({ url, close } = { url: server.url, close: server.close });
  });
  afterAll(() => close());

  it('refuses /v1/inspect and /readyz with 401 without a token or with a wrong one, and never calls the service', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: `Bearer ${TOKEN.slice(0, -1)}x` },
      { authorization: `Bearer ${TOKEN}extra` },
      { authorization: `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}` },
      { authorization: TOKEN },
    ];
    for (const headers of attempts) {
      const res = await postImage(url, JPEG, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect((await apiError(res)).code).toBe('HTTP_UNAUTHORIZED');
      expect((await fetch(`${url}/readyz`, { headers })).status).toBe(401);
    }
    expect(fake.calls).toHaveLength(0);
  });

  it('answers 200 with the token', async () => {
    const headers = { authorization: `Bearer ${TOKEN}` };
    expect((await postImage(url, JPEG, { headers })).status).toBe(200);
    expect((await fetch(`${url}/readyz`, { headers: { authorization: `bearer ${TOKEN}` } })).status).toBe(200);
    expect(fake.calls).toHaveLength(1);
  });

  it('keeps /healthz open for a supervisor probe', async () => {
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it('refuses an unauthenticated oversize upload with 401 before reading it', async () => {
    const res = await rawRequest(`${url}/v1/inspect`, {
      method: 'POST',
      headers: { 'content-type': 'image/jpeg' },
      body: Buffer.alloc(256 * 1024),
    });
    expect(res.status).toBe(401);
  });

  it('never writes the token to the log', async () => {
    await fetch(`${url}/nothing-here`, { headers: { authorization: `Bearer ${TOKEN}` } });
    fake.fail(new Error('an internal failure, logged with its request'));
    expect((await postImage(url, JPEG, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(500);
    fake.answer('ok');
    expect(logged.join('\n')).toContain('http api listening');
    expect(logged.join('\n')).toContain('an internal failure');
    expect(logged.join('\n')).not.toContain(TOKEN);
  });
});
