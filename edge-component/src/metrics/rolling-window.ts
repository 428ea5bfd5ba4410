/**
 * The rolling window of one model version's inspections: the newest `maxImages` images that are at
 * most `windowMs` old (by count AND by time), plus the quarantines and failed inspections of the same
 * time span. Bounded: ring buffers of `maxImages` images and `maxImages` events (beyond that the
 * oldest go first). Pure: time comes in as arguments.
 */

import { percentile } from '../agent/rate-window.ts';
import type { VerdictCounts } from '../contracts/metrics.ts';
import { emptyBins, type ImageSample, scoreBin } from './image-sample.ts';

export type WindowEventKind = 'quarantined' | 'error';

/** The window's figures at one moment. */
export interface WindowSummary {
  /** The oldest image or event in the window; undefined when it is empty. */
  readonly startMs: number | undefined;
  readonly images: number;
  readonly verdicts: VerdictCounts;
  readonly bestScoreCounts: number[];
  readonly detectionsPerImage: { readonly mean: number; readonly max: number };
  readonly latencyMs: {
    readonly prepare: { readonly p50: number; readonly p95: number };
    readonly inference: { readonly p50: number; readonly p95: number };
  };
  readonly quarantined: number;
  readonly errors: number;
}

export interface RollingWindow {
  add(sample: ImageSample): void;
  addEvent(kind: WindowEventKind, atMs: number): void;
  /** Drops what is older than `nowMs - windowMs`, then summarizes what is left. */
  summarize(nowMs: number): WindowSummary;
}

/** A bounded first-in first-out ring. */
function ring<T>(capacity: number) {
  const items: (T | undefined)[] = new Array(capacity);
  let start = 0;
  let size = 0;
  return {
    get size() {
      return size;
    },
    push(item: T) {
      if (size === capacity) {
        start = (start + 1) % capacity;
        size -= 1;
      }
      items[(start + size) % capacity] = item;
      size += 1;
    },
    first: (): T | undefined => (size === 0 ? undefined : items[start]),
    shift() {
      items[start] = undefined;
      start = (start + 1) % capacity;
      size -= 1;
    },
    *[Symbol.iterator]() {
      for (let k = 0; k < size; k += 1) yield items[(start + k) % capacity] as T;
    },
  };
}

export function createRollingWindow(options: { readonly maxImages: number; readonly windowMs: number }): RollingWindow {
  const capacity = Math.max(1, Math.floor(options.maxImages));
  const images = ring<ImageSample>(capacity);
  const events = ring<{ kind: WindowEventKind; atMs: number }>(capacity);

  const evict = (nowMs: number) => {
    const oldest = nowMs - options.windowMs;
    while ((images.first()?.atMs ?? Number.POSITIVE_INFINITY) < oldest) images.shift();
    while ((events.first()?.atMs ?? Number.POSITIVE_INFINITY) < oldest) events.shift();
  };

  return {
    add: (sample) => images.push(sample),
    addEvent: (kind, atMs) => events.push({ kind, atMs }),
    summarize(nowMs) {
      evict(nowMs);
      const verdicts = { ok: 0, defect: 0, unclear: 0 };
      const bins = emptyBins();
      const prepare: number[] = [];
      const inference: number[] = [];
      let detections = 0;
      let maxDetections = 0;
      let startMs: number | undefined;
      for (const s of images) {
        startMs ??= s.atMs;
        verdicts[s.verdict] += 1;
        bins[scoreBin(s.bestScore)] = (bins[scoreBin(s.bestScore)] as number) + 1;
        detections += s.detections;
        maxDetections = Math.max(maxDetections, s.detections);
        prepare.push(s.prepareMs);
        inference.push(s.inferenceMs);
      }
      let quarantined = 0;
      let errors = 0;
      for (const e of events) {
        startMs = Math.min(startMs ?? e.atMs, e.atMs);
        if (e.kind === 'quarantined') quarantined += 1;
        else errors += 1;
      }
      const n = images.size;
      return {
        startMs,
        images: n,
        verdicts,
        bestScoreCounts: bins,
        detectionsPerImage: { mean: n === 0 ? 0 : detections / n, max: maxDetections },
        latencyMs: { prepare: percentiles(prepare), inference: percentiles(inference) },
        quarantined,
        errors,
      };
    },
  };
}

function percentiles(values: number[]): { p50: number; p95: number } {
  if (values.length === 0) return { p50: 0, p95: 0 };
  values.sort((a, b) => a - b);
  return { p50: percentile(values, 50), p95: percentile(values, 95) };
}
