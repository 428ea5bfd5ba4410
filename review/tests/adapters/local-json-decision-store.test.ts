/** The JSON-file decision store: revision check across two store instances (two processes), corrupt files. */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KEEP_REVISIONS, LocalJsonDecisionStore } from '../../src/adapters/local-json-decision-store.ts';
import { type DecisionRecord, decide } from '../../src/domain/index.ts';
import { hasReviewCode, ReviewCode } from '../../src/errors.ts';

const ID = 'c'.repeat(64);
let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'edgeqc-decisions-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function next(record: DecisionRecord | undefined, reviewer: string): DecisionRecord {
  const r = decide(record, {
    messageId: ID,
    subject: {
      thingName: 't',
      capturedAt: '2026-12-01T00:00:00.000Z',
      modelName: 'tag-scratch',
      modelVersion: '2.0.0',
      modelVerdict: 'unclear',
      imageWidth: 10,
      imageHeight: 10,
    },
    verdict: 'ok',
    boxes: [],
    reviewer: { id: reviewer, name: reviewer },
    at: '2026-12-07T00:00:00.000Z',
    actionId: `${reviewer}-${record?.revision ?? 0}`,
    expectedRevision: record?.revision ?? 0,
  });
  if (r.kind !== 'changed') throw new Error('fixture');
  return r.record;
}

describe('LocalJsonDecisionStore', () => {
  it('stores one of two writers racing on the same revision from two instances; the other gets a conflict', async () => {
    const one = new LocalJsonDecisionStore(root);
    const two = new LocalJsonDecisionStore(root);
    const results = await Promise.all([one.put(next(undefined, 'alice'), 0), two.put(next(undefined, 'bob'), 0)]);
    expect(results.map((r) => r.kind).sort()).toEqual(['conflict', 'stored']);
    const stored = results.find((r) => r.kind === 'stored')!;
    const conflict = results.find((r) => r.kind === 'conflict')!;
    expect(conflict.kind === 'conflict' && conflict.current).toEqual(stored.kind === 'stored' && stored.record);
    expect(await two.get(ID)).toEqual(await one.get(ID));
  });

  it('keeps the newest revisions only and lists records by reviewer', async () => {
    const store = new LocalJsonDecisionStore(root);
    let r: DecisionRecord | undefined;
    for (let i = 0; i < KEEP_REVISIONS + 3; i++) {
      const put = await store.put(next(r, i % 2 === 0 ? 'alice' : 'bob'), r?.revision ?? 0);
      if (put.kind !== 'stored') throw new Error('expected stored');
      r = put.record;
    }
    const files = (await readdir(join(root, 'decisions', ID))).sort();
    expect(files).toHaveLength(KEEP_REVISIONS);
    expect(files.at(-1)).toBe(`${String(KEEP_REVISIONS + 3).padStart(9, '0')}.json`);
    expect(await store.list({ reviewerId: 'alice' })).toHaveLength(1);
    expect(await store.list({ reviewerId: 'carol' })).toHaveLength(0);
  });

  it('refuses a record file that is not a decision record as STORE_CORRUPT', async () => {
    await mkdir(join(root, 'decisions', ID), { recursive: true });
    await writeFile(join(root, 'decisions', ID, '000000001.json'), '{"messageId":"nope"}');
    const err = await new LocalJsonDecisionStore(root).get(ID).catch((e: unknown) => e);
    expect(hasReviewCode(err, ReviewCode.StoreCorrupt)).toBe(true);
  });
});
