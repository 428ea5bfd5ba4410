/**
 * Which inspections are uploaded, and how many at most. Pure.
 *
 * - Every `unclear` (a person decides it) and every `defect` (the evidence); a share of `ok`
 *   (`okSampleRate`), so reviewers also see what the model passed.
 * - The `ok` sample is chosen by the messageId, not by chance: the messageId is a sha256, so its first
 *   52 bits read as a fraction are uniform, and the same inspection (retried after a crash, or the same
 *   image inspected again by the same model) is always chosen, or never.
 * - Caps per minute, hour and day over sliding windows (every verdict counts), checked when an
 *   inspection is queued. The windows hold the times of the inspections queued in the last day, at most
 *   `perDay` of them, so they are bounded by the cap itself.
 */
import type { Verdict } from '@edgeqc/model-component/manifest';

export interface UploadCaps {
  readonly perMinute: number;
  readonly perHour: number;
  readonly perDay: number;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** The messageId read as a fraction in [0, 1): its first 13 hex digits (52 bits). */
export function sampleFraction(messageId: string): number {
  const head = Number.parseInt(messageId.slice(0, 13), 16);
  return Number.isFinite(head) ? head / 2 ** 52 : 1;
}

/** True when the policy uploads this inspection (before the caps). */
export function isSelected(verdict: Verdict, messageId: string, okSampleRate: number): boolean {
  if (verdict !== 'ok') return true;
  return sampleFraction(messageId) < okSampleRate;
}

/** Sliding-window caps: `full(now)` before queueing, `record(now)` once queued. */
export interface CapWindows {
  /** Undefined when one more is allowed now; else the window that is full. */
  full(nowMs: number): 'minute' | 'hour' | 'day' | undefined;
  record(nowMs: number): void;
  /** How many were recorded in the last minute, hour and day. */
  counts(nowMs: number): { minute: number; hour: number; day: number };
}

/** Caps over the times in `history` (ms, any order; those older than a day are ignored). */
export function createCapWindows(caps: UploadCaps, history: readonly number[] = []): CapWindows {
  // Times in ascending order, only the last day's.
  let times: number[] = [...history].sort((a, b) => a - b);
  const prune = (now: number) => {
    const from = firstAtOrAfter(times, now - DAY_MS + 1);
    if (from > 0) times = times.slice(from);
  };
  const countSince = (since: number) => times.length - firstAtOrAfter(times, since);
  const counts = (now: number) => {
    prune(now);
    return { minute: countSince(now - MINUTE_MS + 1), hour: countSince(now - HOUR_MS + 1), day: times.length };
  };
  return {
    counts,
    full(now) {
      const c = counts(now);
      if (c.minute >= caps.perMinute) return 'minute';
      if (c.hour >= caps.perHour) return 'hour';
      if (c.day >= caps.perDay) return 'day';
      return undefined;
    },
    record(now) {
      // A clock that went back: keep the order (binary search needs it).
      const last = times[times.length - 1];
      times.push(last !== undefined && now < last ? last : now);
      prune(now);
    },
  };
}

/** Index of the first element >= value in an ascending array. */
function firstAtOrAfter(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
