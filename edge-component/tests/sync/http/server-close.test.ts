import { describe, expect, it } from 'vitest';
import { InspectionSchema } from '../../../src/contracts/inspection.ts';
import { JPEG, postImage, startApi, waitFor } from './http-harness.ts';

describe('startHttpServer close()', () => {
  it('lets a request in flight finish with its answer, then stops listening', async () => {
    const api = await startApi();
    api.fake.hang();
    const inFlight = postImage(api.url, JPEG);
    await waitFor(() => api.fake.hanging() === 1, 'the request to reach the service');
    let closed = false;
    const closing = api.server.close().then(() => {
      closed = true;
    });
    expect(api.server.close()).toBe(api.server.close());
    api.fake.release('unclear');
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(InspectionSchema.parse(await res.json()).verdict).toBe('unclear');
    await closing;
    expect(closed).toBe(true);
    await expect(fetch(`${api.url}/healthz`)).rejects.toThrow();
  });
});
