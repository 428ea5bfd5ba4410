/** Agreement between the model and the reviewers, per model version. */
import { describe, expect, it } from 'vitest';
import { agreementByModelVersion, type DecisionRecord, decide, type ModelVerdict } from '../../src/domain/index.ts';

let n = 0;
function record(modelVersion: string, modelVerdict: ModelVerdict, verdict: 'ok' | 'defect'): DecisionRecord {
  n += 1;
  const r = decide(undefined, {
    messageId: n.toString(16).padStart(64, '0'),
    subject: {
      thingName: 't',
      capturedAt: '2026-12-01T00:00:00.000Z',
      modelName: 'tag-scratch',
      modelVersion,
      modelVerdict,
      imageWidth: 10,
      imageHeight: 10,
    },
    verdict,
    boxes: verdict === 'ok' ? [] : [{ x: 0, y: 0, width: 1, height: 1, label: 'scratch' }],
    reviewer: { id: 'r', name: 'R' },
    at: '2026-12-07T00:00:00.000Z',
    actionId: `a${n}`,
    expectedRevision: 0,
  });
  if (r.kind !== 'changed') throw new Error('fixture');
  return r.record;
}

describe('agreementByModelVersion', () => {
  it('counts agreement over what the model decided, and the unclear ones apart, newest version first', () => {
    const rows = agreementByModelVersion([
      record('2.0.0', 'ok', 'ok'),
      record('2.0.0', 'defect', 'defect'),
      record('2.0.0', 'defect', 'ok'),
      record('2.0.0', 'unclear', 'defect'),
      record('10.0.0', 'unclear', 'ok'),
    ]);
    expect(rows.map((r) => r.modelVersion)).toEqual(['10.0.0', '2.0.0']);
    const v2 = rows[1]!;
    expect(v2).toMatchObject({ reviewed: 4, agreed: 2, disagreed: 1 });
    expect(v2.agreement).toBeCloseTo(2 / 3);
    expect(v2.table.unclear).toEqual({ ok: 0, defect: 1 });
    expect(rows[0]!.agreement).toBeNull();
  });

  it('leaves out items whose decision was undone (nothing current)', () => {
    const r = record('2.0.0', 'ok', 'ok');
    expect(agreementByModelVersion([{ ...r, stack: [] }])).toEqual([]);
  });
});
