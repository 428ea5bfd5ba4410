import { describe, expect, it } from 'vitest';
import { createRateWindow, percentile } from '../../src/agent/rate-window.ts';

describe('rate window', () => {
  it('nearest-rank percentiles', () => {
    const v = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(v, 50)).toBe(50);
    expect(percentile(v, 95)).toBe(95);
    expect(percentile([7], 95)).toBe(7);
  });

  it('counts images of the last minute only, and keeps at most maxSamples', () => {
    const w = createRateWindow({ windowMs: 60_000, maxSamples: 50, startedAtMs: 0 });
    for (let i = 0; i < 120; i += 1) w.record(i * 1000, i);
    // At t = 119 s the window holds 60..119 s, but only the last 50 samples are kept.
    expect(w.imagesPerSecond(119_000)).toBeCloseTo(50 / 60);
    expect(w.latency(119_000)).toEqual({ p50: 94, p95: 117 });
    expect(w.imagesPerSecond(300_000)).toBe(0);
    expect(w.latency(300_000)).toBeNull();
  });

  it('a young agent divides by its age, not by a full minute', () => {
    const w = createRateWindow({ startedAtMs: 0 });
    for (let i = 0; i < 10; i += 1) w.record(i * 500, 1);
    expect(w.imagesPerSecond(5000)).toBeCloseTo(2);
  });
});
