import { afterEach, describe, expect, it } from 'vitest';
import { FAKE_SERVED } from '../fake-inspection-service.ts';
import { apiError, type RunningApi, startApi } from './http-harness.ts';

describe('GET /healthz and GET /readyz', () => {
  let api: RunningApi | undefined;
  afterEach(async () => {
    await api?.server.close();
    api = undefined;
  });

  it('/healthz answers 200 alive, and 503 HTTP_NOT_ALIVE when the liveness check fails', async () => {
    let alive = true;
    api = await startApi({}, { liveness: () => alive });
    const ok = await fetch(`${api.url}/healthz`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ status: 'alive' });
    alive = false;
    const stuck = await fetch(`${api.url}/healthz`);
    expect(stuck.status).toBe(503);
    expect((await apiError(stuck)).code).toBe('HTTP_NOT_ALIVE');
  });

  it("/readyz answers 200 with the served model's name, version, digest and precision", async () => {
    api = await startApi();
    const res = await fetch(`${api.url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: 'ready',
      model: { name: 'fake-detector', version: '1.2.3', sha256: FAKE_SERVED.model.sha256, precision: 'int8' },
      componentName: 'com.edgeqc.Model.fake-detector',
    });
  });

  it('/readyz answers 503 SYNC_NO_MODEL with Retry-After while no model serves, and 200 once one does', async () => {
    api = await startApi();
    api.fake.setServed(null);
    const res = await fetch(`${api.url}/readyz`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('2');
    expect(await res.json()).toEqual({
      status: 'not-ready',
      error: { code: 'SYNC_NO_MODEL', message: expect.stringContaining('no model serves') },
    });
    api.fake.setServed(FAKE_SERVED);
    expect((await fetch(`${api.url}/readyz`)).status).toBe(200);
  });

  it('answers HEAD on both', async () => {
    api = await startApi();
    expect((await fetch(`${api.url}/healthz`, { method: 'HEAD' })).status).toBe(200);
    expect((await fetch(`${api.url}/readyz`, { method: 'HEAD' })).status).toBe(200);
  });
});
