/**
 * Errors of the review app: one base, `ReviewError`, with a stable `code`, a message that names the input,
 * the value and what was expected, and the underlying `cause` when there is one. Codes are constants
 * (`ReviewCode.Conflict`) and a union type (`ReviewCode`). Match on the code (`hasReviewCode`), never on
 * the message. The HTTP layer maps each code to one status (http/error-reply.ts).
 */

export const ReviewCode = {
  /** A request body, query or path parameter is malformed or too large; `field` names it. HTTP 400. */
  InvalidRequest: 'INVALID_REQUEST',
  /** No valid session. HTTP 401. */
  Unauthenticated: 'UNAUTHENTICATED',
  /** The message id is not in the catalog. HTTP 404. */
  ItemNotFound: 'ITEM_NOT_FOUND',
  /** The catalog lists the item but its image object is missing. HTTP 404 on the image route. */
  ImageMissing: 'IMAGE_MISSING',
  /** The reviewer has no decision left to undo. HTTP 404. */
  NothingToUndo: 'NOTHING_TO_UNDO',
  /** The decision was based on a revision that is no longer current (someone decided meanwhile). HTTP 409. */
  Conflict: 'CONFLICT',
  /** A stored inspection message or decision record cannot be read (bad JSON, wrong shape). HTTP 500. */
  StoreCorrupt: 'STORE_CORRUPT',
  /** Options of the app or of an adapter are invalid (bad store folder, port, host). */
  BadOptions: 'BAD_OPTIONS',
} as const;
export type ReviewCode = (typeof ReviewCode)[keyof typeof ReviewCode];

/** The base of every error the review app throws. */
export class ReviewError extends Error {
  readonly code: ReviewCode;
  /** The request field (dotted path) at fault, for INVALID_REQUEST. */
  readonly field: string | undefined;
  constructor(code: ReviewCode, message: string, options?: { cause?: unknown; field?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.field = options?.field;
  }
}

/** Bad request input; `field` is the dotted path of the offending field (`boxes.2.width`). */
export class InvalidRequestError extends ReviewError {
  constructor(field: string, message: string) {
    super(ReviewCode.InvalidRequest, message, { field });
  }
}

/** Stored data (an inspection message, a decision record) that does not parse. */
export class StoreCorruptError extends ReviewError {
  constructor(message: string, cause?: unknown) {
    super(ReviewCode.StoreCorrupt, message, { cause });
  }
}

export function hasReviewCode(err: unknown, code: ReviewCode): err is ReviewError {
  return err instanceof ReviewError && err.code === code;
}
