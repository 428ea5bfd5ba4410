import { describe, expect, it } from 'vitest';
import { emptyBins, scoreBin } from '../../src/metrics/image-sample.ts';
import { createRollingWindow } from '../../src/metrics/rolling-window.ts';
import { sample } from './fixtures.ts';

const T0 = Date.UTC(2026, 11, 7, 18, 0, 0);

describe('the best-score bins', () => {
  it.each([
    [0, 0],
    [0.05, 0],
    [0.1, 1],
    [0.55, 5],
    [0.99, 9],
    [1, 9],
  ])('puts score %d in bin %d (ten bins of 0.1, the last one includes 1)', (score, bin) => {
    expect(scoreBin(score)).toBe(bin);
  });
  it('has ten empty bins to start with', () => expect(emptyBins()).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
});

describe('the rolling window', () => {
  it('summarizes verdicts, scores, detections and latency percentiles of what it holds', () => {
    const w = createRollingWindow({ maxImages: 100, windowMs: 60_000 });
    const latencies = Array.from({ length: 20 }, (_, i) => i + 1); // 1..20 ms
    for (const [i, ms] of latencies.entries()) {
      w.add(
        sample(T0 + i, {
          verdict: i < 2 ? 'defect' : i < 5 ? 'unclear' : 'ok',
          bestScore: i < 2 ? 0.9 : i < 5 ? 0.3 : 0,
          detections: i < 2 ? 3 : i < 5 ? 1 : 0,
          prepareMs: ms,
          inferenceMs: ms * 10,
        }),
      );
    }
    const s = w.summarize(T0 + 1000);
    expect(s.images).toBe(20);
    expect(s.verdicts).toEqual({ ok: 15, defect: 2, unclear: 3 });
    expect(s.bestScoreCounts).toEqual([15, 0, 0, 3, 0, 0, 0, 0, 0, 2]);
    expect(s.detectionsPerImage).toEqual({ mean: (2 * 3 + 3) / 20, max: 3 });
    // nearest rank: p50 of 1..20 is the 10th value, p95 the 19th
    expect(s.latencyMs.prepare).toEqual({ p50: 10, p95: 19 });
    expect(s.latencyMs.inference).toEqual({ p50: 100, p95: 190 });
    expect(s.startMs).toBe(T0);
  });

  it('keeps only the newest maxImages images (eviction by count)', () => {
    const w = createRollingWindow({ maxImages: 5, windowMs: 3_600_000 });
    for (let i = 0; i < 12; i += 1) w.add(sample(T0 + i * 1000, { verdict: i < 7 ? 'defect' : 'ok' }));
    const s = w.summarize(T0 + 12_000);
    expect(s.images).toBe(5);
    expect(s.verdicts).toEqual({ ok: 5, defect: 0, unclear: 0 });
    expect(s.startMs).toBe(T0 + 7000);
  });

  it('drops images older than the window (eviction by time), even below maxImages', () => {
    const w = createRollingWindow({ maxImages: 100, windowMs: 10_000 });
    for (let i = 0; i < 30; i += 1) w.add(sample(T0 + i * 1000));
    expect(w.summarize(T0 + 29_000).images).toBe(11); // 19 s .. 29 s
    expect(w.summarize(T0 + 35_000).images).toBe(5); // 25 s .. 29 s
    const empty = w.summarize(T0 + 60_000);
    expect(empty).toMatchObject({ images: 0, startMs: undefined, detectionsPerImage: { mean: 0, max: 0 } });
    expect(empty.latencyMs).toEqual({ prepare: { p50: 0, p95: 0 }, inference: { p50: 0, p95: 0 } });
  });

  it('counts quarantines and errors over the same time span', () => {
    const w = createRollingWindow({ maxImages: 100, windowMs: 10_000 });
    w.addEvent('quarantined', T0);
    w.addEvent('error', T0 + 8000);
    w.addEvent('quarantined', T0 + 9000);
    expect(w.summarize(T0 + 9000)).toMatchObject({ quarantined: 2, errors: 1, images: 0, startMs: T0 });
    expect(w.summarize(T0 + 15_000)).toMatchObject({ quarantined: 1, errors: 1, startMs: T0 + 8000 });
  });
});
