/**
 * The review use cases over the ports: list, one item, decide, "mark all as ok", undo, agreement. The
 * HTTP routes call these; so could any other front end. Conflicts are results, not exceptions: the
 * caller shows what is stored now.
 */
import { randomUUID } from 'node:crypto';
import type { Inspection } from '@edgeqc/edge-component/contracts';
import {
  agreementByModelVersion,
  type CatalogEntry,
  type CatalogFilter,
  checkDecisionBoxes,
  type DecisionLogEntry,
  type DecisionRecord,
  type DecisionSubject,
  decide,
  type ListPage,
  lastAction,
  type ReviewBox,
  type Reviewer,
  type ReviewItem,
  type ReviewList,
  type ReviewStatus,
  type ReviewVerdict,
  reviewList,
  toReviewItem,
  undo,
  type VersionAgreement,
} from './domain/index.ts';
import { InvalidRequestError, ReviewCode, ReviewError } from './errors.ts';
import type { DecisionStore, ImageRef, InspectionCatalog } from './ports.ts';

export interface ReviewServiceDeps {
  readonly catalog: InspectionCatalog;
  readonly decisions: DecisionStore;
  /** Default: the system clock. */
  readonly now?: () => Date;
  /** Default: random UUIDs. */
  readonly newActionId?: () => string;
  /** Most catalog entries one list scans (a bound on memory and time per request). Default 50 000. */
  readonly maxScanEntries?: number;
}

export interface DecisionInput {
  readonly verdict: ReviewVerdict;
  readonly boxes: readonly ReviewBox[];
  readonly expectedRevision: number;
}

export type DecideOutcome =
  | { readonly kind: 'decided'; readonly item: ReviewItem }
  | { readonly kind: 'conflict'; readonly item: ReviewItem };

export interface BatchOutcome {
  readonly decided: readonly ReviewItem[];
  readonly conflicts: readonly ReviewItem[];
}

export type UndoOutcome =
  | { readonly kind: 'undone'; readonly actionId: string; readonly items: readonly ReviewItem[] }
  | { readonly kind: 'conflict'; readonly actionId: string; readonly items: readonly ReviewItem[] };

export interface ItemDetail {
  readonly item: ReviewItem;
  /** The edgeqc.inspection.v1 message as the device published it. */
  readonly message: Inspection;
  /** Every decision and undo on this item, oldest first. */
  readonly log: readonly DecisionLogEntry[];
  readonly image: ImageRef;
}

const SCAN_PAGE = 1000;

function subjectOf(entry: CatalogEntry): DecisionSubject {
  const m = entry.inspection;
  return {
    thingName: m.thingName,
    capturedAt: m.capturedAt,
    modelName: m.model.name,
    modelVersion: m.model.version,
    modelVerdict: m.verdict,
    imageWidth: m.image.width,
    imageHeight: m.image.height,
  };
}

export class ReviewService {
  readonly #deps: ReviewServiceDeps;
  readonly #maxScan: number;
  #lastAt = 0;

  constructor(deps: ReviewServiceDeps) {
    this.#deps = deps;
    this.#maxScan = deps.maxScanEntries ?? 50_000;
  }

  /** Strictly increasing timestamps per instance, so "the reviewer's last action" is never a tie. */
  #at(): string {
    const now = (this.#deps.now?.() ?? new Date()).getTime();
    this.#lastAt = Math.max(now, this.#lastAt + 1);
    return new Date(this.#lastAt).toISOString();
  }

  async #scan(filter: CatalogFilter): Promise<CatalogEntry[]> {
    const out: CatalogEntry[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.#deps.catalog.list(filter, { limit: SCAN_PAGE, ...(cursor ? { cursor } : {}) });
      out.push(...page.entries);
      cursor = page.nextCursor;
    } while (cursor !== undefined && out.length < this.#maxScan);
    return out.slice(0, this.#maxScan);
  }

  async #records(): Promise<Map<string, DecisionRecord>> {
    const all = await this.#deps.decisions.list({});
    return new Map(all.map((r) => [r.messageId, r]));
  }

  async list(filter: CatalogFilter, status: ReviewStatus | undefined, page: ListPage): Promise<ReviewList> {
    const [entries, records] = await Promise.all([this.#scan(filter), this.#records()]);
    return reviewList(entries, records, status, page);
  }

  /** The distinct thing names and model versions, for the filter choices. */
  async facets(): Promise<{ things: string[]; modelVersions: string[] }> {
    const entries = await this.#scan({});
    const things = new Set(entries.map((e) => e.inspection.thingName));
    const versions = new Set(entries.map((e) => e.inspection.model.version));
    return {
      things: [...things].sort(),
      modelVersions: [...versions].sort((a, b) => b.localeCompare(a, undefined, { numeric: true })),
    };
  }

  async #entry(messageId: string): Promise<CatalogEntry> {
    const entry = await this.#deps.catalog.get(messageId);
    if (entry === undefined) {
      throw new ReviewError(ReviewCode.ItemNotFound, `no inspection with messageId '${messageId}' in the catalog`);
    }
    return entry;
  }

  async get(messageId: string): Promise<ItemDetail> {
    const entry = await this.#entry(messageId);
    const record = await this.#deps.decisions.get(messageId);
    const image: ImageRef = entry.imagePresent ? await this.#deps.catalog.image(messageId) : { kind: 'missing' };
    return { item: toReviewItem(entry, record), message: entry.inspection, log: record?.log ?? [], image };
  }

  async image(messageId: string): Promise<ImageRef> {
    const entry = await this.#entry(messageId);
    return entry.imagePresent ? this.#deps.catalog.image(messageId) : { kind: 'missing' };
  }

  async #decideOne(
    entry: CatalogEntry,
    reviewer: Reviewer,
    input: DecisionInput,
    actionId: string,
    at: string,
  ): Promise<DecideOutcome> {
    const messageId = entry.inspection.messageId;
    const stored = await this.#deps.decisions.get(messageId);
    const change = decide(stored, {
      messageId,
      subject: subjectOf(entry),
      verdict: input.verdict,
      boxes: input.boxes,
      reviewer,
      at,
      actionId,
      expectedRevision: input.expectedRevision,
    });
    if (change.kind === 'conflict') return { kind: 'conflict', item: toReviewItem(entry, change.current) };
    const put = await this.#deps.decisions.put(change.record, input.expectedRevision);
    if (put.kind === 'conflict') return { kind: 'conflict', item: toReviewItem(entry, put.current) };
    return { kind: 'decided', item: toReviewItem(entry, put.record) };
  }

  async decide(reviewer: Reviewer, messageId: string, input: DecisionInput): Promise<DecideOutcome> {
    const entry = await this.#entry(messageId);
    const problem = checkDecisionBoxes(input.verdict, input.boxes, entry.inspection.image);
    if (problem) throw new InvalidRequestError(problem.field, problem.message);
    return this.#decideOne(entry, reviewer, input, this.#deps.newActionId?.() ?? randomUUID(), this.#at());
  }

  /** "Mark all on this page as ok": one action over the items, each with its own revision check. */
  async markOk(
    reviewer: Reviewer,
    items: ReadonlyArray<{ readonly messageId: string; readonly expectedRevision: number }>,
  ): Promise<BatchOutcome> {
    const entries = await Promise.all(items.map((i) => this.#entry(i.messageId)));
    const actionId = this.#deps.newActionId?.() ?? randomUUID();
    const at = this.#at();
    const decided: ReviewItem[] = [];
    const conflicts: ReviewItem[] = [];
    for (const [i, entry] of entries.entries()) {
      const expectedRevision = items[i]?.expectedRevision ?? 0;
      const r = await this.#decideOne(entry, reviewer, { verdict: 'ok', boxes: [], expectedRevision }, actionId, at);
      (r.kind === 'decided' ? decided : conflicts).push(r.item);
    }
    return { decided, conflicts };
  }

  /**
   * Takes back the reviewer's last action (all its items), recorded in each item's log. When any of its
   * items moved on since (another decision on top), nothing is taken back: a conflict listing those.
   */
  async undo(reviewer: Reviewer): Promise<UndoOutcome> {
    const mine = await this.#deps.decisions.list({ reviewerId: reviewer.id });
    const action = lastAction(mine, reviewer.id);
    if (action === undefined) {
      throw new ReviewError(ReviewCode.NothingToUndo, `reviewer '${reviewer.id}' has no decision left to undo`);
    }
    const at = this.#at();
    const current = await Promise.all(action.items.map((i) => this.#deps.decisions.get(i.messageId)));
    const changes = current.map((record) =>
      record === undefined
        ? ({ kind: 'conflict', current: undefined } as const)
        : undo(record, { reviewer, at, actionId: action.actionId, expectedRevision: record.revision }),
    );
    const conflicted = action.items.flatMap((i, n) =>
      changes[n]?.kind === 'conflict' ? [{ messageId: i.messageId, record: current[n] }] : [],
    );
    if (conflicted.length > 0) {
      return { kind: 'conflict', actionId: action.actionId, items: await this.#items(conflicted) };
    }
    const stored: Array<{ messageId: string; record: DecisionRecord | undefined }> = [];
    let raced = false;
    for (const c of changes) {
      if (c.kind !== 'changed') continue;
      const put = await this.#deps.decisions.put(c.record, c.record.revision - 1);
      raced ||= put.kind === 'conflict';
      stored.push({ messageId: c.record.messageId, record: put.kind === 'stored' ? put.record : put.current });
    }
    return { kind: raced ? 'conflict' : 'undone', actionId: action.actionId, items: await this.#items(stored) };
  }

  /** Items for records whose inspection is still in the catalog. */
  async #items(records: ReadonlyArray<{ messageId: string; record: DecisionRecord | undefined }>) {
    const out: ReviewItem[] = [];
    for (const { messageId, record } of records) {
      const entry = await this.#deps.catalog.get(messageId);
      if (entry !== undefined) out.push(toReviewItem(entry, record));
    }
    return out;
  }

  async agreement(): Promise<VersionAgreement[]> {
    return agreementByModelVersion([...(await this.#records()).values()]);
  }
}
