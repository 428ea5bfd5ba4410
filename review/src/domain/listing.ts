/**
 * The review list: catalog entries joined with their decisions, filtered by status, newest first, one
 * page cut out; and the pending/done counts over the same filter. Pure.
 */
import type { DecisionRecord } from './decision.ts';
import { type CatalogEntry, newestFirst, type ReviewItem, type ReviewStatus, toReviewItem } from './review-item.ts';

export interface ListPage {
  readonly offset: number;
  readonly limit: number;
}

export interface ReviewList {
  readonly items: readonly ReviewItem[];
  /** Items matching the filter and status, all pages. */
  readonly total: number;
  readonly offset: number;
  readonly limit: number;
  readonly counts: ReviewCounts;
}

export interface ReviewCounts {
  readonly pending: number;
  readonly done: number;
}

/**
 * Joins, filters by status (undefined: both), orders newest first and cuts the page. `records` maps
 * messageId to its record; entries must already match the catalog filter.
 */
export function reviewList(
  entries: readonly CatalogEntry[],
  records: ReadonlyMap<string, DecisionRecord>,
  status: ReviewStatus | undefined,
  page: ListPage,
): ReviewList {
  const all = [...entries].sort(newestFirst).map((e) => toReviewItem(e, records.get(e.inspection.messageId)));
  const done = all.filter((i) => i.status === 'done').length;
  const selected = status === undefined ? all : all.filter((i) => i.status === status);
  return {
    items: selected.slice(page.offset, page.offset + page.limit),
    total: selected.length,
    offset: page.offset,
    limit: page.limit,
    counts: { pending: all.length - done, done },
  };
}
