import { describe, expect, it } from 'vitest';
import { type Candidate, iouOf, nonMaxSuppression } from '../../src/core/nms.ts';

const box = (x1: number, y1: number, x2: number, y2: number) => ({ x1, y1, x2, y2 });
const cand = (index: number, score: number, b = box(0, 0, 10, 10), classId = 0): Candidate => ({
  box: b,
  score,
  classId,
  index,
});
const ids = (cs: readonly Candidate[]) => cs.map((c) => c.index);

describe('iouOf', () => {
  it('is 1 for identical boxes, 0 for disjoint or touching ones, and the ratio otherwise', () => {
    expect(iouOf(box(0, 0, 10, 10), box(0, 0, 10, 10))).toBe(1);
    expect(iouOf(box(0, 0, 10, 10), box(10, 0, 20, 10))).toBe(0);
    expect(iouOf(box(0, 0, 10, 10), box(20, 20, 30, 30))).toBe(0);
    expect(iouOf(box(0, 0, 10, 10), box(5, 0, 15, 10))).toBeCloseTo(50 / 150, 12);
  });
  it('is 0 for empty boxes', () => {
    expect(iouOf(box(1, 1, 1, 1), box(1, 1, 1, 1))).toBe(0);
  });
});

describe('nonMaxSuppression (per class, greedy)', () => {
  it('suppresses an overlapping box of the same class, keeps the better one', () => {
    const kept = nonMaxSuppression([cand(0, 0.6), cand(1, 0.9, box(1, 0, 11, 10))], { iou: 0.7, maxDetections: 10 });
    expect(ids(kept)).toEqual([1]);
  });

  it('keeps overlapping boxes of different classes', () => {
    const kept = nonMaxSuppression([cand(0, 0.9, undefined, 0), cand(1, 0.8, undefined, 1)], {
      iou: 0.7,
      maxDetections: 10,
    });
    expect(ids(kept)).toEqual([0, 1]);
  });

  it('suppresses only IoU strictly above the threshold (equal is kept)', () => {
    // IoU of [0,10] and [5,15] (height 10) is 50 / 150 = 1/3.
    const pair = [cand(0, 0.9), cand(1, 0.8, box(5, 0, 15, 10))];
    expect(ids(nonMaxSuppression(pair, { iou: 1 / 3, maxDetections: 10 }))).toEqual([0, 1]);
    expect(ids(nonMaxSuppression(pair, { iou: 1 / 3 - 1e-9, maxDetections: 10 }))).toEqual([0]);
  });

  it('returns best first, equal scores by lower anchor index, and at most maxDetections', () => {
    const far = (i: number) => box(i * 100, 0, i * 100 + 10, 10);
    const cs = [cand(5, 0.5, far(5)), cand(2, 0.9, far(2)), cand(7, 0.5, far(7)), cand(1, 0.5, far(1))];
    expect(ids(nonMaxSuppression(cs, { iou: 0.7, maxDetections: 10 }))).toEqual([2, 1, 5, 7]);
    expect(ids(nonMaxSuppression(cs, { iou: 0.7, maxDetections: 2 }))).toEqual([2, 1]);
  });

  it('a suppressed box does not suppress others (greedy on kept boxes only)', () => {
    // A(0..10) kept; B(4..14) overlaps A by 6/14 > 0.4 -> suppressed; C(8..18) overlaps A by 2/18 only.
    const cs = [cand(0, 0.9), cand(1, 0.8, box(4, 0, 14, 10)), cand(2, 0.7, box(8, 0, 18, 10))];
    expect(ids(nonMaxSuppression(cs, { iou: 0.4, maxDetections: 10 }))).toEqual([0, 2]);
  });

  it('does not modify its input', () => {
    const cs = [cand(0, 0.1), cand(1, 0.9, box(50, 50, 60, 60))];
    nonMaxSuppression(cs, { iou: 0.7, maxDetections: 10 });
    expect(ids(cs)).toEqual([0, 1]);
  });
});
