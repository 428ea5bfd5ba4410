/**
 * Every error the HTTP API answers, as `{ "error": { "code", "message" } }` with its status: the image
 * codes the quarantine uses, the sync codes of the inspection service, the API's own (HttpApiCode) and
 * fastify's request errors. Anything else is 500 INSPECTION_FAILED with no detail (it is logged).
 */
import {
  errorCode,
  HttpApiCode,
  HttpApiError,
  ImageRejectedCode,
  ImageRejectedError,
  InspectionCode,
  SyncCode,
  SyncInspectionError,
} from '../../errors.ts';

export interface ApiErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}

export interface ApiErrorReply {
  readonly statusCode: number;
  readonly body: ApiErrorBody;
  /** Seconds for a Retry-After header (429 queue full, 503 no model). */
  readonly retryAfterSeconds?: number;
}

/**
 * IMAGE_EMPTY is 422 and not 400: the request itself is well formed (a method, a content type, valid
 * flags), what it carries cannot be inspected, like a truncated or corrupt image; 400 stays for request
 * parameters. The quarantine treats an empty file the same way as the other unreadable images.
 */
const IMAGE_STATUS: Record<ImageRejectedCode, number> = {
  [ImageRejectedCode.Empty]: 422,
  [ImageRejectedCode.TooLarge]: 413,
  [ImageRejectedCode.TooManyPixels]: 422,
  [ImageRejectedCode.UnsupportedFormat]: 415,
  [ImageRejectedCode.Truncated]: 422,
  [ImageRejectedCode.Corrupt]: 422,
  [ImageRejectedCode.Unreadable]: 422,
  [ImageRejectedCode.Duplicate]: 409,
};

const SYNC_STATUS: Record<SyncCode, number> = {
  [SyncCode.QueueFull]: 429,
  [SyncCode.Timeout]: 503,
  [SyncCode.NoModel]: 503,
  [SyncCode.Stopping]: 503,
  [SyncCode.BadBitmap]: 422,
};

const HTTP_STATUS: Record<HttpApiCode, number> = {
  [HttpApiCode.BadRequest]: 400,
  [HttpApiCode.Unauthorized]: 401,
  [HttpApiCode.NotFound]: 404,
  [HttpApiCode.MethodNotAllowed]: 405,
  [HttpApiCode.UnsupportedContentType]: 415,
  [HttpApiCode.NotAlive]: 503,
  [HttpApiCode.InsecureBind]: 500,
  [HttpApiCode.BadOptions]: 500,
  [HttpApiCode.ListenFailed]: 500,
  // The client's own codes; the server never answers with them.
  [HttpApiCode.Unreachable]: 502,
  [HttpApiCode.BadResponse]: 502,
};

export const errorBody = (code: string, message: string): ApiErrorBody => ({ error: { code, message } });

/** Whole seconds for Retry-After: at least 1. */
export const retryAfterSeconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));

/** A fastify request error (body too large, bad content type...), by its FST_ code and status. */
function fastifyReply(code: string, statusCode: number, message: string, maxBodyBytes: number): ApiErrorReply {
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    const tooLarge = `request body is larger than the limit of ${maxBodyBytes} bytes (maxBodyBytes)`;
    return { statusCode: 413, body: errorBody(ImageRejectedCode.TooLarge, tooLarge) };
  }
  if (statusCode === 415) {
    const expected = 'expected Content-Type image/jpeg, image/png or application/octet-stream';
    return { statusCode: 415, body: errorBody(HttpApiCode.UnsupportedContentType, expected) };
  }
  return { statusCode: 400, body: errorBody(HttpApiCode.BadRequest, message) };
}

/** The reply for `err`; a 500 is an internal error, which the caller logs. */
export function errorReply(err: unknown, ctx: { maxBodyBytes: number; retryAfterMs: () => number }): ApiErrorReply {
  if (err instanceof ImageRejectedError) {
    return { statusCode: IMAGE_STATUS[err.code] ?? 422, body: errorBody(err.code, err.message) };
  }
  if (err instanceof SyncInspectionError) {
    const statusCode = SYNC_STATUS[err.code] ?? 503;
    const retry = err.code === SyncCode.QueueFull || err.code === SyncCode.NoModel;
    return {
      statusCode,
      body: errorBody(err.code, err.message),
      ...(retry ? { retryAfterSeconds: retryAfterSeconds(ctx.retryAfterMs()) } : {}),
    };
  }
  if (err instanceof HttpApiError) {
    return { statusCode: HTTP_STATUS[err.code] ?? 500, body: errorBody(err.code, err.message) };
  }
  const code = errorCode(err);
  if (err instanceof Error && code?.startsWith('FST_') && 'statusCode' in err) {
    const { statusCode } = err;
    if (typeof statusCode === 'number' && statusCode < 500) {
      return fastifyReply(code, statusCode, err.message, ctx.maxBodyBytes);
    }
  }
  return {
    statusCode: 500,
    body: errorBody(InspectionCode.Failed, 'the inspection failed inside the agent; its log has the cause'),
  };
}
