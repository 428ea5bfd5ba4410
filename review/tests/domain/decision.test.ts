/** Decisions with optimistic concurrency, the undo stack and the reviewer's last action. */
import { describe, expect, it } from 'vitest';
import {
  currentDecision,
  type DecideInput,
  type DecisionRecord,
  decide,
  lastAction,
  MAX_STACK,
  type Reviewer,
  undo,
} from '../../src/domain/index.ts';

const alice: Reviewer = { id: 'alice', name: 'Alice' };
const bob: Reviewer = { id: 'bob', name: 'Bob' };
const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const subject = {
  thingName: 'line-1-cam-1',
  capturedAt: '2026-12-01T10:00:00.000Z',
  modelName: 'tag-scratch',
  modelVersion: '2.0.0',
  modelVerdict: 'unclear' as const,
  imageWidth: 1024,
  imageHeight: 768,
};
const box = { x: 1, y: 2, width: 3, height: 4, label: 'scratch' };

function input(over: Partial<DecideInput>): DecideInput {
  return {
    messageId: A,
    subject,
    verdict: 'defect',
    boxes: [box],
    reviewer: alice,
    at: '2026-12-07T10:00:00.000Z',
    actionId: 'act-1',
    expectedRevision: 0,
    ...over,
  };
}

function changed(r: ReturnType<typeof decide>): DecisionRecord {
  if (r.kind !== 'changed') throw new Error(`expected a change, got ${r.kind}`);
  return r.record;
}

describe('decide', () => {
  it('creates revision 1 from nothing and records reviewer, time and boxes', () => {
    const r = changed(decide(undefined, input({})));
    expect(r.revision).toBe(1);
    expect(currentDecision(r)).toEqual({
      verdict: 'defect',
      boxes: [box],
      reviewer: alice,
      decidedAt: '2026-12-07T10:00:00.000Z',
      revision: 1,
      actionId: 'act-1',
    });
    expect(r.log).toHaveLength(1);
  });

  it('is a conflict when based on a revision that is no longer current, and changes nothing', () => {
    const first = changed(decide(undefined, input({})));
    const second = decide(first, input({ reviewer: bob, verdict: 'ok', boxes: [], expectedRevision: 0 }));
    expect(second).toEqual({ kind: 'conflict', current: first });
    const none = decide(undefined, input({ expectedRevision: 3 }));
    expect(none).toEqual({ kind: 'conflict', current: undefined });
  });

  it('stacks a later decision on top and keeps at most MAX_STACK decisions', () => {
    let r: DecisionRecord | undefined;
    for (let i = 0; i < MAX_STACK + 5; i++) {
      r = changed(decide(r, input({ expectedRevision: i, actionId: `act-${i}` })));
    }
    expect(r!.revision).toBe(MAX_STACK + 5);
    expect(r!.stack).toHaveLength(MAX_STACK);
    expect(currentDecision(r!)?.actionId).toBe(`act-${MAX_STACK + 4}`);
  });
});

describe('undo', () => {
  it("takes the reviewer's decision off, bringing back the one before, and logs it", () => {
    const one = changed(decide(undefined, input({ reviewer: bob, verdict: 'ok', boxes: [], actionId: 'b1' })));
    const two = changed(decide(one, input({ expectedRevision: 1, actionId: 'a1' })));
    const back = changed(
      undo(two, { reviewer: alice, at: '2026-12-07T11:00:00.000Z', actionId: 'a1', expectedRevision: 2 }),
    );
    expect(back.revision).toBe(3);
    expect(currentDecision(back)?.reviewer).toEqual(bob);
    expect(back.log.at(-1)).toEqual({
      kind: 'undone',
      reviewer: alice,
      at: '2026-12-07T11:00:00.000Z',
      revision: 3,
      actionId: 'a1',
      undoneRevision: 2,
    });
  });

  it('leaves the item pending when the only decision is undone', () => {
    const one = changed(decide(undefined, input({})));
    const back = changed(undo(one, { reviewer: alice, at: 'x', actionId: 'act-1', expectedRevision: 1 }));
    expect(currentDecision(back)).toBeUndefined();
  });

  it('is a conflict when someone decided on top, or for another reviewer or action', () => {
    const mine = changed(decide(undefined, input({})));
    const theirs = changed(decide(mine, input({ reviewer: bob, expectedRevision: 1, actionId: 'b1' })));
    expect(undo(theirs, { reviewer: alice, at: 'x', actionId: 'act-1', expectedRevision: 2 }).kind).toBe('conflict');
    expect(undo(mine, { reviewer: bob, at: 'x', actionId: 'act-1', expectedRevision: 1 }).kind).toBe('conflict');
    expect(undo(mine, { reviewer: alice, at: 'x', actionId: 'other', expectedRevision: 1 }).kind).toBe('conflict');
    expect(undo(mine, { reviewer: alice, at: 'x', actionId: 'act-1', expectedRevision: 0 }).kind).toBe('conflict');
  });
});

describe('lastAction', () => {
  it("finds the reviewer's latest action not undone, with every item it decided", () => {
    const a1 = changed(decide(undefined, input({ actionId: 'batch', at: '2026-12-07T10:00:01.000Z' })));
    const b1 = changed(decide(undefined, input({ messageId: B, actionId: 'batch', at: '2026-12-07T10:00:01.000Z' })));
    expect(lastAction([a1, b1], 'alice')).toEqual({
      actionId: 'batch',
      decidedAt: '2026-12-07T10:00:01.000Z',
      items: [
        { messageId: A, revision: 1 },
        { messageId: B, revision: 1 },
      ],
    });
    const a2 = changed(decide(a1, input({ actionId: 'single', expectedRevision: 1, at: '2026-12-07T10:00:02.000Z' })));
    expect(lastAction([a2, b1], 'alice')?.actionId).toBe('single');
    const undone = changed(undo(a2, { reviewer: alice, at: 'x', actionId: 'single', expectedRevision: 2 }));
    expect(lastAction([undone, b1], 'alice')?.actionId).toBe('batch');
    expect(lastAction([undone, b1], 'bob')).toBeUndefined();
  });
});
