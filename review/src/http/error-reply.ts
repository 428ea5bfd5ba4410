/**
 * Every API error is JSON `{ error: { code, message, field? } }` with one status per code. Errors fastify
 * raises itself (a body too large, malformed JSON, a wrong content type) become INVALID_REQUEST 400
 * naming `body` or `content-type`; anything else unknown is a 500 with a constant message (logged with
 * its cause by the app).
 */
import { ReviewCode, ReviewError } from '../errors.ts';

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly field?: string };
}

const STATUS: Readonly<Record<ReviewCode, number>> = {
  [ReviewCode.InvalidRequest]: 400,
  [ReviewCode.Unauthenticated]: 401,
  [ReviewCode.ItemNotFound]: 404,
  [ReviewCode.ImageMissing]: 404,
  [ReviewCode.NothingToUndo]: 404,
  [ReviewCode.Conflict]: 409,
  [ReviewCode.StoreCorrupt]: 500,
  [ReviewCode.BadOptions]: 500,
};

interface FastifyLikeError {
  readonly code?: unknown;
  readonly statusCode?: unknown;
  readonly message?: unknown;
}

export function errorReply(err: unknown, bodyLimitBytes: number): { statusCode: number; body: ErrorBody } {
  if (err instanceof ReviewError) {
    const field = err.field === undefined ? {} : { field: err.field };
    return { statusCode: STATUS[err.code], body: { error: { code: err.code, message: err.message, ...field } } };
  }
  const e = (typeof err === 'object' && err !== null ? err : {}) as FastifyLikeError;
  const invalid = (field: string, message: string) => ({
    statusCode: 400,
    body: { error: { code: ReviewCode.InvalidRequest, message, field } },
  });
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return invalid('body', `request body is larger than ${bodyLimitBytes} bytes`);
  }
  if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return invalid('content-type', 'content-type must be application/json');
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return invalid('body', `malformed request: ${String(e.message)}`);
  }
  return { statusCode: 500, body: { error: { code: 'INTERNAL', message: 'internal error (logged by the server)' } } };
}
