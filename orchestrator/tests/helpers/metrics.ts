/**
 * edgeqc.metrics.v1 messages for the quality gate's tests, built to the agent's schema (parsed with
 * MetricsSchema, so a fixture can never drift from the contract). Counts are given as `sinceModel`
 * figures: verdicts and the best-score histogram (ten bins of 0.1).
 */
import { type MetricsMessage, MetricsSchema, SCORE_BIN_EDGES } from '@edgeqc/edge-component/contracts';
import { SHA_NEW, SHA_OLD } from './fixtures.ts';

export const SHA = { old: SHA_OLD, new: SHA_NEW } as const;

export interface MetricsFixture {
  readonly ok?: number;
  readonly defect?: number;
  readonly unclear?: number;
  /** Ten counts summing to ok + defect + unclear; default: ok in bin 0, unclear in bin 3, defect in bin 9. */
  readonly bins?: readonly number[];
  readonly publishedAt?: string;
  readonly sha256?: string;
}

let sequence = 0;

export function metricsMessage(thingName: string, version: string, f: MetricsFixture = {}): MetricsMessage {
  const ok = f.ok ?? 0;
  const defect = f.defect ?? 0;
  const unclear = f.unclear ?? 0;
  const images = ok + defect + unclear;
  const bins = f.bins ?? [ok, 0, 0, unclear, 0, 0, 0, 0, 0, defect];
  const publishedAt = f.publishedAt ?? '2026-12-07T12:00:00.000Z';
  return MetricsSchema.parse({
    schema: 'edgeqc.metrics.v1',
    messageId: `m-${++sequence}`,
    thingName,
    publishedAt,
    model: { name: 'tag-scratch', version, sha256: f.sha256 ?? SHA.new, precision: 'int8' },
    modelSince: '2026-12-07T11:00:00.000Z',
    window: { start: '2026-12-07T11:59:00.000Z', end: publishedAt, seconds: 300, maxImages: 500 },
    images,
    verdicts: { ok, defect, unclear },
    unclearRate: images ? unclear / images : 0,
    defectRate: images ? defect / images : 0,
    bestScore: { binEdges: [...SCORE_BIN_EDGES], counts: [...bins] },
    detectionsPerImage: { mean: 1, max: 3 },
    latencyMs: { prepare: { p50: 10, p95: 20 }, inference: { p50: 40, p95: 60 } },
    quarantined: 0,
    errors: 0,
    sinceModel: {
      images,
      verdicts: { ok, defect, unclear },
      bestScoreCounts: [...bins],
      quarantined: 0,
      errors: 0,
    },
    drift: { baselineImages: 200, psi: null, limit: 0.25, drifted: false },
  });
}

/** The BehaviourSource port over recorded messages: the newest per device and version, rejected counted. */
export class FakeBehaviour {
  readonly messages: MetricsMessage[] = [];
  /** Schema-invalid messages per device (counted, never returned). */
  readonly rejectedBy = new Map<string, number>();
  readonly queries: { thingNames: readonly string[]; modelVersions: readonly string[] }[] = [];

  async latest(query: { readonly thingNames: readonly string[]; readonly modelVersions: readonly string[] }) {
    this.queries.push(query);
    const newest = new Map<string, MetricsMessage>();
    for (const m of this.messages) {
      if (!query.thingNames.includes(m.thingName) || !query.modelVersions.includes(m.model.version)) continue;
      const key = `${m.thingName}@${m.model.version}`;
      const seen = newest.get(key);
      if (!seen || m.publishedAt > seen.publishedAt) newest.set(key, m);
    }
    const rejected = query.thingNames.reduce((n, t) => n + (this.rejectedBy.get(t) ?? 0), 0);
    return { messages: [...newest.values()], rejected };
  }
}
