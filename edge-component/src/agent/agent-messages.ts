/**
 * The messages the agent publishes besides inspections, built and checked against their contracts
 * (contracts/status.ts, contracts/error-event.ts) before they leave: a status heartbeat and error events.
 */
import { ERROR_EVENT_SCHEMA_ID, type ErrorEvent, ErrorEventSchema } from '../contracts/error-event.ts';
import type { ModelRef } from '../contracts/inspection.ts';
import { type AgentState, STATUS_SCHEMA_ID, type Status, StatusSchema } from '../contracts/status.ts';
import type { SelfTestResult } from '../core/types.ts';
import type { OutboxStats } from '../ports.ts';

export interface AgentCounters {
  inspected: number;
  ok: number;
  defect: number;
  unclear: number;
  quarantined: number;
  duplicates: number;
  published: number;
}

export const zeroCounters = (): AgentCounters => ({
  inspected: 0,
  ok: 0,
  defect: 0,
  unclear: 0,
  quarantined: 0,
  duplicates: 0,
  published: 0,
});

export interface StatusSnapshot {
  readonly thingName: string;
  readonly agentVersion: string;
  readonly state: AgentState;
  readonly reason?: string;
  readonly at: Date;
  readonly model: ModelRef | null;
  readonly selfTest: SelfTestResult | null;
  readonly imagesPerSecond: number;
  readonly latencyMs: { p50: number; p95: number } | null;
  readonly queueDepth: number;
  readonly outbox: OutboxStats;
  readonly counters: AgentCounters;
  readonly lastError: string | null;
  /** The last model metrics' summary; absent before the first. */
  readonly metrics?: Status['metrics'];
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

export function statusMessage(s: StatusSnapshot): Status {
  return StatusSchema.parse({
    schema: STATUS_SCHEMA_ID,
    thingName: s.thingName,
    state: s.state,
    ...(s.reason ? { reason: clip(s.reason, 2000) } : {}),
    at: s.at.toISOString(),
    agentVersion: s.agentVersion,
    model: s.model,
    selfTest: s.selfTest
      ? {
          passed: s.selfTest.passed,
          modelSha256: s.selfTest.modelSha256,
          cases: s.selfTest.cases,
          failures: s.selfTest.failures.slice(0, 16).map((f) => clip(f, 500)),
        }
      : null,
    rates: { imagesPerSecond: round(s.imagesPerSecond) },
    latencyMs: s.latencyMs ? { p50: round(s.latencyMs.p50, 1), p95: round(s.latencyMs.p95, 1) } : null,
    queueDepth: s.queueDepth,
    outbox: { pending: s.outbox.pending, capacity: Math.max(1, s.outbox.capacity), dropped: s.outbox.dropped },
    counters: { ...s.counters },
    lastError: s.lastError === null ? null : clip(s.lastError, 2000),
    ...(s.metrics ? { metrics: s.metrics } : {}),
  });
}

/** The retained `offline` status (Last Will and the close message): the last snapshot, marked offline. */
export function offlineStatus(s: StatusSnapshot, reason: string): Status {
  return statusMessage({ ...s, state: 'offline', reason });
}

export function errorEvent(input: {
  thingName: string;
  at: Date;
  kind: ErrorEvent['kind'];
  code: string;
  message: string;
  file?: string;
  sha256?: string;
  model?: ErrorEvent['model'];
  drift?: ErrorEvent['drift'];
}): ErrorEvent {
  return ErrorEventSchema.parse({
    schema: ERROR_EVENT_SCHEMA_ID,
    thingName: input.thingName,
    at: input.at.toISOString(),
    kind: input.kind,
    code: clip(input.code, 64),
    message: clip(input.message, 2000),
    ...(input.file !== undefined ? { file: clip(input.file, 1024) } : {}),
    ...(input.sha256 !== undefined ? { sha256: input.sha256 } : {}),
    ...(input.model !== undefined ? { model: input.model } : {}),
    ...(input.drift !== undefined ? { drift: input.drift } : {}),
  });
}

export const jsonBytes = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

/** The Last Will: `offline` as seen by the broker when the connection drops without a goodbye. */
export function willStatus(thingName: string, agentVersion: string): Status {
  return statusMessage({
    thingName,
    agentVersion,
    state: 'offline',
    reason: 'connection lost without a goodbye (Last Will): the agent or its device stopped unexpectedly',
    at: new Date(),
    model: null,
    selfTest: null,
    imagesPerSecond: 0,
    latencyMs: null,
    queueDepth: 0,
    outbox: { pending: 0, capacity: 1, dropped: 0 },
    counters: zeroCounters(),
    lastError: null,
  });
}
