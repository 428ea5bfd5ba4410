/**
 * Which action undo takes back: the reviewer's latest action (a decision, or a "mark all as ok" over
 * several items) that has not been undone yet. Pure: it reads the records' logs.
 */
import type { DecisionRecord } from './decision.ts';

export interface LastAction {
  readonly actionId: string;
  readonly decidedAt: string;
  /** The records the action decided, each with the revision its decision created. */
  readonly items: ReadonlyArray<{ readonly messageId: string; readonly revision: number }>;
}

/** The reviewer's latest not-undone action over these records, or undefined when there is none. */
export function lastAction(records: readonly DecisionRecord[], reviewerId: string): LastAction | undefined {
  const undone = new Set<string>();
  for (const r of records) {
    for (const e of r.log) if (e.kind === 'undone' && e.reviewer.id === reviewerId) undone.add(e.actionId);
  }
  const byAction = new Map<string, { decidedAt: string; items: Array<{ messageId: string; revision: number }> }>();
  for (const r of records) {
    for (const e of r.log) {
      if (e.kind !== 'decided' || e.decision.reviewer.id !== reviewerId || undone.has(e.decision.actionId)) continue;
      const a = byAction.get(e.decision.actionId) ?? { decidedAt: e.decision.decidedAt, items: [] };
      a.items.push({ messageId: r.messageId, revision: e.decision.revision });
      if (e.decision.decidedAt > a.decidedAt) a.decidedAt = e.decision.decidedAt;
      byAction.set(e.decision.actionId, a);
    }
  }
  let latest: LastAction | undefined;
  for (const [actionId, a] of byAction) {
    if (latest === undefined || a.decidedAt > latest.decidedAt) latest = { actionId, ...a };
  }
  if (latest === undefined) return undefined;
  return { ...latest, items: [...latest.items].sort((x, y) => (x.messageId < y.messageId ? -1 : 1)) };
}
