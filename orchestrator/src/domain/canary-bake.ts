/**
 * The canary bake: once every canary device serves the new model, each must keep doing so for the bake
 * time with its heartbeat going on and its error counts (quarantined images, dropped messages) where
 * they were when the bake began. Pure, over the devices' retained status messages.
 */
import { type Status, StatusSchema } from '@edgeqc/edge-component/contracts';
import type { BakeBaseline } from './rollout-state.ts';

export type BakeDecision =
  | { readonly outcome: 'baking'; readonly summary: string }
  | { readonly outcome: 'done'; readonly summary: string }
  | { readonly outcome: 'failed'; readonly summary: string };

export interface BakeObservation {
  readonly thingName: string;
  readonly status: unknown;
}

function parse(status: unknown): Status | undefined {
  const parsed = StatusSchema.safeParse(status);
  return parsed.success ? parsed.data : undefined;
}

/** Each device's heartbeat and error counts as the bake begins. */
export function bakeBaseline(devices: readonly BakeObservation[]): BakeBaseline[] {
  return devices.map((d) => {
    const s = parse(d.status);
    return {
      thingName: d.thingName,
      at: s?.at ?? new Date(0).toISOString(),
      quarantined: s?.counters.quarantined ?? 0,
      dropped: s?.outbox.dropped ?? 0,
    };
  });
}

export function assessBake(
  baseline: readonly BakeBaseline[],
  devices: readonly BakeObservation[],
  ctx: { readonly since: Date; readonly bakeSeconds: number; readonly now: Date },
): BakeDecision {
  const problems: string[] = [];
  const silent: string[] = [];
  for (const b of baseline) {
    const s = parse(devices.find((d) => d.thingName === b.thingName)?.status);
    if (!s) {
      problems.push(`${b.thingName}: no valid status message`);
      continue;
    }
    if (s.state !== 'online') problems.push(`${b.thingName}: agent is ${s.state}${s.reason ? ` (${s.reason})` : ''}`);
    if (s.counters.quarantined > b.quarantined) {
      problems.push(`${b.thingName}: ${s.counters.quarantined - b.quarantined} image(s) quarantined during the bake`);
    }
    if (s.outbox.dropped > b.dropped) {
      problems.push(`${b.thingName}: ${s.outbox.dropped - b.dropped} message(s) dropped during the bake`);
    }
    if (Date.parse(s.at) <= Date.parse(b.at)) silent.push(b.thingName);
  }
  if (problems.length > 0) return { outcome: 'failed', summary: `the canary bake failed: ${problems.join('; ')}` };
  const endsAt = ctx.since.getTime() + ctx.bakeSeconds * 1000;
  if (ctx.now.getTime() < endsAt) {
    return { outcome: 'baking', summary: `baking until ${new Date(endsAt).toISOString()}` };
  }
  // The bake is over: every heartbeat must have moved on since it began (else wait for the next one).
  if (silent.length > 0) {
    return { outcome: 'baking', summary: `bake over, waiting for a new heartbeat from ${silent.join(', ')}` };
  }
  return {
    outcome: 'done',
    summary: `${baseline.length} canary device(s) held their heartbeat and error counts for ${ctx.bakeSeconds} s`,
  };
}
