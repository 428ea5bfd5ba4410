/**
 * What the review app shows: an inspection from the catalog (its `edgeqc.inspection.v1` message and
 * whether its image object is there) joined with its decision record. Pure types and the join.
 */
import type { Inspection } from '@edgeqc/edge-component/contracts';
import type { DecisionRecord } from './decision.ts';
import { currentDecision, type Decision } from './decision.ts';

/** The model's verdict as the agent published it. */
export type ModelVerdict = Inspection['verdict'];

/** One inspection in the catalog (the store the device uploads to). */
export interface CatalogEntry {
  readonly inspection: Inspection;
  /** False when the message is there but its image object is not (deleted, never uploaded). */
  readonly imagePresent: boolean;
}

/** Catalog filters; every one optional, all given ones must match. */
export interface CatalogFilter {
  /** A thing name or the start of one: `line-1` matches `line-1-cam-2` (a line's devices share a prefix). */
  readonly thing?: string;
  readonly modelVerdict?: ModelVerdict;
  readonly modelVersion?: string;
  /** Inclusive lower bound on capturedAt (ISO 8601). */
  readonly from?: string;
  /** Exclusive upper bound on capturedAt (ISO 8601). */
  readonly to?: string;
}

/** A catalog page: `cursor` is opaque to the app, undefined from the first page; `limit` at most 1000. */
export interface CatalogPageRequest {
  readonly cursor?: string;
  readonly limit: number;
}
export interface CatalogPage {
  /** Newest capturedAt first (ties: messageId ascending). */
  readonly entries: readonly CatalogEntry[];
  /** Undefined on the last page. */
  readonly nextCursor?: string;
}

export type ReviewStatus = 'pending' | 'done';

/** An inspection with its review state, as the API returns it. */
export interface ReviewItem {
  readonly messageId: string;
  readonly thingName: string;
  readonly capturedAt: string;
  readonly inspectedAt: string;
  readonly modelVerdict: ModelVerdict;
  readonly model: { readonly name: string; readonly version: string };
  readonly image: {
    readonly file: string;
    readonly width: number;
    readonly height: number;
    readonly present: boolean;
  };
  readonly detections: Inspection['detections'];
  readonly status: ReviewStatus;
  /** The current decision (absent while pending). */
  readonly decision?: Decision;
  /** The record's revision: a decision must be based on it (0 when never decided). */
  readonly revision: number;
}

/** True when the entry passes the filter. */
export function matchesFilter(entry: CatalogEntry, f: CatalogFilter): boolean {
  const m = entry.inspection;
  if (f.thing !== undefined && !m.thingName.startsWith(f.thing)) return false;
  if (f.modelVerdict !== undefined && m.verdict !== f.modelVerdict) return false;
  if (f.modelVersion !== undefined && m.model.version !== f.modelVersion) return false;
  const at = Date.parse(m.capturedAt);
  if (f.from !== undefined && at < Date.parse(f.from)) return false;
  if (f.to !== undefined && at >= Date.parse(f.to)) return false;
  return true;
}

/** Newest capturedAt first, then messageId ascending: the one order of every list. */
export function newestFirst(a: CatalogEntry, b: CatalogEntry): number {
  const d = Date.parse(b.inspection.capturedAt) - Date.parse(a.inspection.capturedAt);
  if (d !== 0) return d;
  return a.inspection.messageId < b.inspection.messageId ? -1 : a.inspection.messageId > b.inspection.messageId ? 1 : 0;
}

/** Joins a catalog entry with its decision record (undefined: never decided). */
export function toReviewItem(entry: CatalogEntry, record: DecisionRecord | undefined): ReviewItem {
  const m = entry.inspection;
  const decision = record === undefined ? undefined : currentDecision(record);
  return {
    messageId: m.messageId,
    thingName: m.thingName,
    capturedAt: m.capturedAt,
    inspectedAt: m.inspectedAt,
    modelVerdict: m.verdict,
    model: { name: m.model.name, version: m.model.version },
    image: { file: m.image.file, width: m.image.width, height: m.image.height, present: entry.imagePresent },
    detections: m.detections,
    status: decision === undefined ? 'pending' : 'done',
    ...(decision === undefined ? {} : { decision }),
    revision: record?.revision ?? 0,
  };
}
