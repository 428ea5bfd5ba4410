/**
 * The review app's ports: where inspections come from, where decisions go, who the reviewer is.
 * One adapter per outside system: local folder / JSON files / local token (adapters/local-*.ts) for the
 * one-machine world, S3 / DynamoDB / Cognito in AWS. `buildReviewApp(deps)` takes them; it never
 * knows where it runs.
 */
import type {
  CatalogEntry,
  CatalogFilter,
  CatalogPage,
  CatalogPageRequest,
  DecisionRecord,
  Reviewer,
} from './domain/index.ts';

/** How the image of an item is served. */
export type ImageRef =
  /** The bytes themselves (a local folder). */
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array; readonly contentType: string }
  /** A URL the browser may fetch for a while (a presigned S3 GET); the API redirects to it. */
  | { readonly kind: 'url'; readonly url: string }
  /** The catalog has the message but the image object is not there. */
  | { readonly kind: 'missing' };

/** The inspections the devices uploaded (REVIEW-SPEC.md's store layout). */
export interface InspectionCatalog {
  /** Entries matching the filter, newest capturedAt first, one page at a time. */
  list(filter: CatalogFilter, page: CatalogPageRequest): Promise<CatalogPage>;
  /** One entry, or undefined when the message id is not in the catalog. */
  get(messageId: string): Promise<CatalogEntry | undefined>;
  /** The entry's image; `missing` when the message is there but the image is not. */
  image(messageId: string): Promise<ImageRef>;
}

export type PutResult =
  | { readonly kind: 'stored'; readonly record: DecisionRecord }
  /** The stored revision is not `expectedRevision`; `current` is what is stored (undefined: nothing). */
  | { readonly kind: 'conflict'; readonly current: DecisionRecord | undefined };

export interface DecisionQuery {
  /** Only records with a log entry by this reviewer id. */
  readonly reviewerId?: string;
}

/** The decision records, one per message id, written with a revision check. */
export interface DecisionStore {
  get(messageId: string): Promise<DecisionRecord | undefined>;
  /**
   * Stores `record` (whose revision is expectedRevision + 1) only when the stored revision is
   * `expectedRevision` (0: no record yet); atomic with that check.
   */
  put(record: DecisionRecord, expectedRevision: number): Promise<PutResult>;
  /** Records matching the query, in no particular order. */
  list(query: DecisionQuery): Promise<readonly DecisionRecord[]>;
}

/** Request headers as fastify gives them (lower-case names). */
export type RequestHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** Who is asking: the reviewer of a valid session, or undefined (the API answers 401). */
export interface Authenticator {
  authenticate(headers: RequestHeaders): Promise<Reviewer | undefined>;
}

/**
 * Optional: a one-time sign-in link for a machine without an identity provider (`edgeqc review` prints
 * a URL with a token; GET /login?token=... exchanges it for an HttpOnly session cookie).
 */
export interface LoginExchange {
  /** The cookie to set for a valid token, or undefined for a wrong one. */
  exchange(token: string): Promise<{ readonly name: string; readonly value: string } | undefined>;
}
