import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ImageRejectedCode, SyncCode } from '../../../src/errors.ts';
import { apiError, JPEG, postImage, type RunningApi, rawRequest, startApi, waitFor } from './http-harness.ts';

const MAX_BODY_BYTES = 64 * 1024;

describe('HTTP API errors: a status and { error: { code, message } } for each', () => {
  let api: RunningApi;
  beforeAll(async () => {
    api = await startApi({ maxBodyBytes: MAX_BODY_BYTES, requestTimeoutMs: 1500 });
  });
  afterAll(() => api.server.close());
  beforeEach(() => {
    api.fake.calls.length = 0;
    api.fake.answer('ok');
    api.fake.setRetryAfterMs(1500);
  });

  it.each([
    [ImageRejectedCode.UnsupportedFormat, 415],
    [ImageRejectedCode.Corrupt, 422],
    [ImageRejectedCode.Truncated, 422],
    [ImageRejectedCode.TooManyPixels, 422],
    [ImageRejectedCode.Empty, 422],
    [ImageRejectedCode.TooLarge, 413],
    [SyncCode.Timeout, 503],
    [SyncCode.Stopping, 503],
  ])('answers the service rejecting with %s with %i and its code', async (code, status) => {
    api.fake.rejectWith(code);
    const res = await postImage(api.url, JPEG);
    expect(res.status).toBe(status);
    expect(await res.json()).toEqual({ error: { code, message: `fake service refuses with ${code}` } });
  });

  it('answers a full queue with 429 and Retry-After in whole seconds, at least 1', async () => {
    api.fake.rejectWith(SyncCode.QueueFull);
    for (const [ms, seconds] of [
      [1500, '2'],
      [200, '1'],
      [0, '1'],
    ] as const) {
      api.fake.setRetryAfterMs(ms);
      const res = await postImage(api.url, JPEG);
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe(seconds);
      expect((await apiError(res)).code).toBe('SYNC_QUEUE_FULL');
    }
  });

  it('answers no serving model with 503 SYNC_NO_MODEL and Retry-After', async () => {
    api.fake.rejectWith(SyncCode.NoModel);
    const res = await postImage(api.url, JPEG);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('2');
    expect((await apiError(res)).code).toBe('SYNC_NO_MODEL');
  });

  it('answers an empty body with 422 IMAGE_EMPTY without calling the service', async () => {
    for (const contentType of ['image/jpeg', 'application/octet-stream']) {
      const res = await postImage(api.url, new Uint8Array(0), { contentType });
      expect(res.status).toBe(422);
      expect((await apiError(res)).code).toBe('IMAGE_EMPTY');
    }
    const none = await rawRequest(`${api.url}/v1/inspect`, { method: 'POST' });
    expect(none.status).toBe(422);
    expect(JSON.parse(none.body).error.code).toBe('IMAGE_EMPTY');
    expect(api.fake.calls).toHaveLength(0);
  });

  it('refuses a body over maxBodyBytes with 413 IMAGE_TOO_LARGE, by its Content-Length or while it streams', async () => {
    const big = Buffer.alloc(MAX_BODY_BYTES * 8, 0xff);
    for (const chunked of [false, true]) {
      const res = await rawRequest(`${api.url}/v1/inspect`, {
        method: 'POST',
        headers: { 'content-type': 'image/jpeg' },
        body: big,
        chunked,
      });
      expect(res.status, chunked ? 'chunked' : 'content-length').toBe(413);
      expect(JSON.parse(res.body)).toEqual({
        error: { code: 'IMAGE_TOO_LARGE', message: expect.stringContaining(String(MAX_BODY_BYTES)) },
      });
    }
    expect((await postImage(api.url, Buffer.alloc(MAX_BODY_BYTES, 0xff))).status).toBe(200);
    expect(api.fake.calls).toHaveLength(1);
  });

  it('answers a body type other than an image with 415 HTTP_UNSUPPORTED_CONTENT_TYPE', async () => {
    for (const contentType of ['application/json', 'text/plain', 'multipart/form-data; boundary=x']) {
      const res = await postImage(api.url, JPEG, { contentType });
      expect(res.status, contentType).toBe(415);
      expect(await apiError(res)).toEqual({
        code: 'HTTP_UNSUPPORTED_CONTENT_TYPE',
        message: expect.stringContaining('image/jpeg'),
      });
    }
    expect(api.fake.calls).toHaveLength(0);
  });

  it('answers an internal failure with 500 INSPECTION_FAILED and no detail of it', async () => {
    const secret = new Error('onnxruntime exploded at /opt/secret/path');
    api.fake.fail(secret);
    const res = await postImage(api.url, JPEG);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text).error.code).toBe('INSPECTION_FAILED');
    expect(text).not.toContain('secret');
    expect(text).not.toContain('at ');
  });

  it('answers 503 SYNC_TIMEOUT when the service does not answer within requestTimeoutMs', async () => {
    api.fake.hang();
    const pending = postImage(api.url, JPEG);
    await waitFor(() => api.fake.hanging() === 1, 'the request to reach the service');
    const res = await pending;
    expect(res.status).toBe(503);
    expect(await apiError(res)).toEqual({ code: 'SYNC_TIMEOUT', message: expect.stringContaining('1500 ms') });
    api.fake.release();
  });

  it('answers an unknown route with 404 and a known one with the wrong method with 405 and Allow', async () => {
    const missing = await fetch(`${api.url}/v2/inspect`);
    expect(missing.status).toBe(404);
    expect((await apiError(missing)).code).toBe('HTTP_NOT_FOUND');
    const wrong = await fetch(`${api.url}/v1/inspect`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    expect((await apiError(wrong)).code).toBe('HTTP_METHOD_NOT_ALLOWED');
    const post = await fetch(`${api.url}/healthz`, { method: 'DELETE' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });
});
