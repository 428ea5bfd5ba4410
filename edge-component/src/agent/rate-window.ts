/**
 * Sliding-window figures for the status heartbeat: images per second over the last minute and latency
 * percentiles over the same window. Bounded: at most `maxSamples` samples are kept (the oldest go first).
 */

export interface RateWindow {
  /** Records one finished image at `atMs` that took `latencyMs`. */
  record(atMs: number, latencyMs: number): void;
  /** Images per second over the window ending at `nowMs`. */
  imagesPerSecond(nowMs: number): number;
  /** p50 and p95 of the latencies in the window ending at `nowMs`; null when there is none. */
  latency(nowMs: number): { p50: number; p95: number } | null;
}

/** Nearest-rank percentile of ascending `sorted` (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

export function createRateWindow(
  options: {
    windowMs?: number;
    maxSamples?: number /** A younger window counts from here. */;
    startedAtMs?: number;
  } = {},
): RateWindow {
  const windowMs = options.windowMs ?? 60_000;
  const startedAtMs = options.startedAtMs ?? Number.NEGATIVE_INFINITY;
  const maxSamples = options.maxSamples ?? 10_000;
  // Ring buffers of completion time and latency.
  const at = new Float64Array(maxSamples);
  const lat = new Float64Array(maxSamples);
  let start = 0;
  let size = 0;

  const evict = (nowMs: number) => {
    while (size > 0 && (at[start] as number) < nowMs - windowMs) {
      start = (start + 1) % maxSamples;
      size -= 1;
    }
  };

  return {
    record(atMs, latencyMs) {
      if (size === maxSamples) {
        start = (start + 1) % maxSamples;
        size -= 1;
      }
      const i = (start + size) % maxSamples;
      at[i] = atMs;
      lat[i] = latencyMs;
      size += 1;
    },
    imagesPerSecond(nowMs) {
      evict(nowMs);
      if (size === 0) return 0;
      const span = Math.max(1000, Math.min(windowMs, nowMs - startedAtMs));
      return size / (span / 1000);
    },
    latency(nowMs) {
      evict(nowMs);
      if (size === 0) return null;
      const values: number[] = [];
      for (let k = 0; k < size; k += 1) values.push(lat[(start + k) % maxSamples] as number);
      values.sort((a, b) => a - b);
      return { p50: percentile(values, 50), p95: percentile(values, 95) };
    },
  };
}
