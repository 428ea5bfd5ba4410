/**
 * Agreement between the model and the reviewers, per model version, over the decided items: how often
 * the reviewer's verdict equals the model's (`agreement` over items the model decided, ok or defect),
 * how the model's `unclear` ones were decided, and the full table model verdict x reviewer verdict.
 * Pure: it reads decision records (which carry the model version and verdict).
 */
import { currentDecision, type DecisionRecord, type ReviewVerdict } from './decision.ts';
import type { ModelVerdict } from './review-item.ts';

export interface VersionAgreement {
  readonly modelName: string;
  readonly modelVersion: string;
  /** Items with a current decision. */
  readonly reviewed: number;
  /** Model said ok or defect and the reviewer said the same. */
  readonly agreed: number;
  /** Model said ok or defect and the reviewer said the other. */
  readonly disagreed: number;
  /** agreed / (agreed + disagreed); null when the model decided none of the reviewed items. */
  readonly agreement: number | null;
  /** Counts by model verdict, then reviewer verdict. */
  readonly table: Readonly<Record<ModelVerdict, Readonly<Record<ReviewVerdict, number>>>>;
}

function emptyTable(): Record<ModelVerdict, Record<ReviewVerdict, number>> {
  return { ok: { ok: 0, defect: 0 }, defect: { ok: 0, defect: 0 }, unclear: { ok: 0, defect: 0 } };
}

/** One row per model (name, version), sorted by name then version (numeric-aware), newest version first. */
export function agreementByModelVersion(records: readonly DecisionRecord[]): VersionAgreement[] {
  const rows = new Map<string, { modelName: string; modelVersion: string; table: ReturnType<typeof emptyTable> }>();
  for (const r of records) {
    const d = currentDecision(r);
    if (d === undefined) continue;
    const key = `${r.subject.modelName}\u0000${r.subject.modelVersion}`;
    const row = rows.get(key) ?? {
      modelName: r.subject.modelName,
      modelVersion: r.subject.modelVersion,
      table: emptyTable(),
    };
    row.table[r.subject.modelVerdict][d.verdict] += 1;
    rows.set(key, row);
  }
  return [...rows.values()]
    .map(({ modelName, modelVersion, table }) => {
      const agreed = table.ok.ok + table.defect.defect;
      const disagreed = table.ok.defect + table.defect.ok;
      const reviewed = agreed + disagreed + table.unclear.ok + table.unclear.defect;
      const decided = agreed + disagreed;
      return {
        modelName,
        modelVersion,
        reviewed,
        agreed,
        disagreed,
        agreement: decided === 0 ? null : agreed / decided,
        table,
      };
    })
    .sort(
      (a, b) =>
        a.modelName.localeCompare(b.modelName) ||
        b.modelVersion.localeCompare(a.modelVersion, undefined, { numeric: true }),
    );
}
