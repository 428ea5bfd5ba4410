import { describe, expect, it } from 'vitest';
import { verdictOf } from '../../src/core/verdict.ts';

const t = { review: 0.25, defect: 0.5 };
const scores = (...s: number[]) => s.map((confidence) => ({ confidence }));

describe('verdictOf', () => {
  it('is ok with no detection', () => {
    expect(verdictOf([], t)).toBe('ok');
    expect(verdictOf([], { review: 0, defect: 0 })).toBe('ok');
  });
  it('is ok when the best score is below the review threshold', () => {
    expect(verdictOf(scores(0.1, 0.2499), t)).toBe('ok');
  });
  it('is unclear from the review threshold (inclusive) up to below the defect threshold', () => {
    expect(verdictOf(scores(0.25), t)).toBe('unclear');
    expect(verdictOf(scores(0.1, 0.4999), t)).toBe('unclear');
  });
  it('is defect at or above the defect threshold, whatever the other scores', () => {
    expect(verdictOf(scores(0.5), t)).toBe('defect');
    expect(verdictOf(scores(0.1, 0.97, 0.3), t)).toBe('defect');
  });
  it('is defect, never unclear, when review equals defect', () => {
    expect(verdictOf(scores(0.4), { review: 0.4, defect: 0.4 })).toBe('defect');
    expect(verdictOf(scores(0.39), { review: 0.4, defect: 0.4 })).toBe('ok');
  });
});
