import { describe, expect, it } from 'vitest';
import { assessBake, bakeBaseline } from '../../src/domain/canary-bake.ts';
import { statusMessage } from '../helpers/fixtures.ts';

type Status = ReturnType<typeof base>;
const base = () =>
  statusMessage('canary-1') as {
    at: string;
    state: string;
    counters: Record<string, number>;
    outbox: Record<string, number>;
  };
const observed = (s: Status) => [{ thingName: 'canary-1', status: s }];
const since = new Date('2026-11-23T01:00:00.000Z');
const later = (s: number) => new Date(since.getTime() + s * 1000);

describe('canary bake', () => {
  const baseline = bakeBaseline(observed(base()));

  it('records each device heartbeat and error counts as the bake begins', () => {
    expect(baseline).toEqual([{ thingName: 'canary-1', at: base().at, quarantined: 0, dropped: 0 }]);
  });

  it('bakes until the time is up, then needs a new heartbeat from every device', () => {
    const ctx = { since, bakeSeconds: 60 };
    expect(assessBake(baseline, observed(base()), { ...ctx, now: later(30) }).outcome).toBe('baking');
    expect(assessBake(baseline, observed(base()), { ...ctx, now: later(61) })).toMatchObject({
      outcome: 'baking',
      summary: expect.stringContaining('waiting for a new heartbeat from canary-1'),
    });
    const fresh = { ...base(), at: later(60).toISOString() };
    expect(assessBake(baseline, observed(fresh), { ...ctx, now: later(61) }).outcome).toBe('done');
  });

  it('fails on a degraded agent, a new quarantine or a dropped message', () => {
    const ctx = { since, bakeSeconds: 60, now: later(10) };
    const b = base();
    expect(assessBake(baseline, observed({ ...b, state: 'degraded' }), ctx).outcome).toBe('failed');
    expect(
      assessBake(baseline, observed({ ...b, counters: { ...b.counters, quarantined: 1 } }), ctx).summary,
    ).toContain('1 image(s) quarantined during the bake');
    expect(assessBake(baseline, observed({ ...b, outbox: { ...b.outbox, dropped: 3 } }), ctx).summary).toContain(
      '3 message(s) dropped during the bake',
    );
    expect(assessBake(baseline, [], ctx).summary).toContain('canary-1: no valid status message');
  });
});
