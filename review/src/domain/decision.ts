/**
 * A reviewer's decision on one inspection and the record that keeps it, with optimistic concurrency:
 * every change is based on the record's revision the reviewer saw (`expectedRevision`); a change based
 * on an older revision is a conflict and changes nothing. The record keeps a stack of decisions (the
 * current one on top; undo pops it, bringing back the one before or "pending") and a log of every
 * decision and undo, both bounded. Pure functions over plain data.
 */
import type { ModelVerdict } from './review-item.ts';

export type ReviewVerdict = 'ok' | 'defect';

/** Who decided: `id` is stable (OS user, Cognito sub), `name` is for people. */
export interface Reviewer {
  readonly id: string;
  readonly name: string;
}

/** A box in original image pixels, as in the inspection message. */
export interface ReviewBox {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly label: string;
}

export interface Decision {
  readonly verdict: ReviewVerdict;
  /** The defect boxes as the reviewer left them (empty for ok). */
  readonly boxes: readonly ReviewBox[];
  readonly reviewer: Reviewer;
  readonly decidedAt: string;
  /** The record revision this decision created. */
  readonly revision: number;
  /** One id per reviewer action: a "mark all on this page as ok" shares it over its items. */
  readonly actionId: string;
}

export type DecisionLogEntry =
  | { readonly kind: 'decided'; readonly decision: Decision }
  | {
      readonly kind: 'undone';
      readonly reviewer: Reviewer;
      readonly at: string;
      readonly revision: number;
      /** The action undone. */
      readonly actionId: string;
      /** The revision of the decision taken off. */
      readonly undoneRevision: number;
    };

/** What the decision is about, copied from the inspection so that agreement and export need no catalog. */
export interface DecisionSubject {
  readonly thingName: string;
  readonly capturedAt: string;
  readonly modelName: string;
  readonly modelVersion: string;
  readonly modelVerdict: ModelVerdict;
  readonly imageWidth: number;
  readonly imageHeight: number;
}

export interface DecisionRecord {
  readonly messageId: string;
  /** Increases by one with every change; 0 is "no record". */
  readonly revision: number;
  readonly subject: DecisionSubject;
  /** Decisions, current last; empty: pending again after undo. At most MAX_STACK (oldest dropped). */
  readonly stack: readonly Decision[];
  /** Every decision and undo, oldest first; at most MAX_LOG (oldest dropped). */
  readonly log: readonly DecisionLogEntry[];
}

/** How many decisions back undo can go on one item. */
export const MAX_STACK = 20;
/** How many log entries one record keeps (bounded, so a record stays small for any store). */
export const MAX_LOG = 100;

export function currentDecision(record: DecisionRecord): Decision | undefined {
  return record.stack.at(-1);
}

export interface DecideInput {
  readonly messageId: string;
  readonly subject: DecisionSubject;
  readonly verdict: ReviewVerdict;
  readonly boxes: readonly ReviewBox[];
  readonly reviewer: Reviewer;
  readonly at: string;
  readonly actionId: string;
  /** The revision the reviewer saw (0: never decided). */
  readonly expectedRevision: number;
}

export type ChangeResult =
  | { readonly kind: 'changed'; readonly record: DecisionRecord }
  | { readonly kind: 'conflict'; readonly current: DecisionRecord | undefined };

/** Applies a decision to the record (undefined: none yet); a stale expectedRevision is a conflict. */
export function decide(record: DecisionRecord | undefined, input: DecideInput): ChangeResult {
  const revision = record?.revision ?? 0;
  if (input.expectedRevision !== revision) return { kind: 'conflict', current: record };
  const decision: Decision = {
    verdict: input.verdict,
    boxes: input.boxes,
    reviewer: input.reviewer,
    decidedAt: input.at,
    revision: revision + 1,
    actionId: input.actionId,
  };
  return {
    kind: 'changed',
    record: {
      messageId: input.messageId,
      revision: revision + 1,
      subject: record?.subject ?? input.subject,
      stack: [...(record?.stack ?? []), decision].slice(-MAX_STACK),
      log: [...(record?.log ?? []), { kind: 'decided' as const, decision }].slice(-MAX_LOG),
    },
  };
}

export interface UndoInput {
  readonly reviewer: Reviewer;
  readonly at: string;
  /** The action to undo; its decision must still be the record's current one. */
  readonly actionId: string;
  readonly expectedRevision: number;
}

/**
 * Takes the reviewer's decision off the record, recorded in the log. A conflict when the record moved
 * on (another decision on top, or a revision other than expected): nothing is taken off then.
 */
export function undo(record: DecisionRecord, input: UndoInput): ChangeResult {
  const top = currentDecision(record);
  if (
    record.revision !== input.expectedRevision ||
    top === undefined ||
    top.actionId !== input.actionId ||
    top.reviewer.id !== input.reviewer.id
  ) {
    return { kind: 'conflict', current: record };
  }
  const revision = record.revision + 1;
  return {
    kind: 'changed',
    record: {
      ...record,
      revision,
      stack: record.stack.slice(0, -1),
      log: [
        ...record.log,
        {
          kind: 'undone' as const,
          reviewer: input.reviewer,
          at: input.at,
          revision,
          actionId: input.actionId,
          undoneRevision: top.revision,
        },
      ].slice(-MAX_LOG),
    },
  };
}
