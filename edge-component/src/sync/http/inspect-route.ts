/**
 * `POST /v1/inspect`: the body is the image (JPEG or PNG; the service decides the format by its magic
 * bytes, not by the declared type), read whole as a Buffer up to `maxBodyBytes` (fastify refuses a
 * larger one with 413 from its Content-Length, or as soon as the stream passes the limit). The answer
 * is the service's `edgeqc.inspection.v1` message, as it is. Errors are thrown to the app's error
 * handler (error-reply.ts).
 */
import type { FastifyInstance } from 'fastify';
import { ImageRejectedCode, ImageRejectedError, SyncCode, SyncInspectionError } from '../../errors.ts';
import type { InspectionService } from '../inspection-service.ts';
import { parseInspectQuery } from './inspect-query.ts';

/** The body types the route reads; anything else is 415 HTTP_UNSUPPORTED_CONTENT_TYPE. */
export const IMAGE_CONTENT_TYPES = ['image/jpeg', 'image/png', 'application/octet-stream'] as const;

export interface InspectRouteOptions {
  readonly maxBodyBytes: number;
  /** The longest the route waits for the service before answering 503 SYNC_TIMEOUT. */
  readonly requestTimeoutMs: number;
}

/**
 * The service's answer, or SYNC_TIMEOUT after `ms`: a backstop for a service that neither answers nor
 * times out itself (its own timeout should be shorter), so no request holds a connection for ever.
 */
async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new SyncInspectionError(SyncCode.Timeout, `no inspection within ${ms} ms (requestTimeoutMs)`)),
      ms,
    );
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Registers the image body parsers (replacing fastify's JSON and text ones) and the route. */
export function registerInspectRoute(app: FastifyInstance, service: InspectionService, options: InspectRouteOptions) {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    [...IMAGE_CONTENT_TYPES],
    { parseAs: 'buffer', bodyLimit: options.maxBodyBytes },
    (_request, body, done) => done(null, body),
  );
  app.post('/v1/inspect', async (request) => {
    const query = parseInspectQuery(request.query);
    const body = request.body;
    if (!Buffer.isBuffer(body) || body.length === 0) {
      throw new ImageRejectedError(ImageRejectedCode.Empty, 'the request body is empty: send the JPEG or PNG bytes');
    }
    const image = { kind: 'encoded', bytes: body, ...(query.name !== undefined ? { name: query.name } : {}) } as const;
    return withDeadline(
      service.inspect(image, { publish: query.publish, archive: query.archive }),
      options.requestTimeoutMs,
    );
  });
}
