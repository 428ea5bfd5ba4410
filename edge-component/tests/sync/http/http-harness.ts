/**
 * The HTTP API on a real socket (127.0.0.1, a port the OS chooses) over a fake InspectionService, and
 * the small clients the tests use: Node's fetch, and node:http for what fetch cannot do (a body larger
 * than the limit without the client failing first, a TLS client certificate).
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { z } from 'zod';
import { silentLogger } from '../../../src/log.ts';
import type { HttpApiOptions } from '../../../src/sync/http/http-api-options.ts';
import { type HttpServerHandle, startHttpServer } from '../../../src/sync/http/start-http-server.ts';
import { type FakeInspectionService, fakeInspectionService } from '../fake-inspection-service.ts';

/** The first bytes of a JPEG (the fake service does not decode; the real one decides by these). */
export const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0xff, 0xd9]);

export interface RunningApi {
  readonly url: string;
  readonly fake: FakeInspectionService;
  readonly server: HttpServerHandle;
}

export async function startApi(
  options: HttpApiOptions = {},
  extra: { liveness?: () => boolean } = {},
): Promise<RunningApi> {
  const fake = fakeInspectionService();
  const server = await startHttpServer({ service: fake, log: silentLogger(), ...extra }, options);
  return { url: server.url, fake, server };
}

/** POST /v1/inspect with Node's fetch; `query` becomes the query string as given. */
export function postImage(
  url: string,
  body: Uint8Array,
  init: { query?: string; contentType?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  return fetch(`${url}/v1/inspect${init.query ? `?${init.query}` : ''}`, {
    method: 'POST',
    headers: { 'content-type': init.contentType ?? 'image/jpeg', ...init.headers },
    body,
  });
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/**
 * One request with node:http(s): the body is streamed in chunks (no Content-Length when `chunked`),
 * and a reset after the response head still gives the response.
 */
export function rawRequest(
  url: string,
  options: RequestOptions & { body?: Uint8Array; chunked?: boolean } = {},
): Promise<RawResponse> {
  const { body, chunked, ...rest } = options;
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(target, { method: 'GET', ...rest }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body === undefined) {
      req.end();
      return;
    }
    if (!chunked) req.setHeader('content-length', body.length);
    const step = 64 * 1024;
    let offset = 0;
    const pump = () => {
      while (offset < body.length) {
        const chunk = body.subarray(offset, offset + step);
        offset += step;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();
  });
}

const ApiErrorSchema = z.object({ error: z.strictObject({ code: z.string().min(1), message: z.string() }) });

/** The `{ error: { code, message } }` body of a response (the test fails when it has another shape). */
export async function apiError(res: Response): Promise<{ code: string; message: string }> {
  return ApiErrorSchema.parse(await res.json()).error;
}

/** Polls `check` until it holds or the deadline passes (no fixed sleeps in the tests). */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
