import { describe, expect, it } from 'vitest';
import type { DeviceAssessment } from '../../src/domain/device-assessment.ts';
import { assessFleet, drawSample, sumBehaviour } from '../../src/domain/fleet-check.ts';
import { NO_JOB_EXECUTIONS } from '../../src/domain/job-counts.ts';
import { ErrorNames } from '../../src/errors.ts';
import type { JobExecutionCounts } from '../../src/ports.ts';

const none: JobExecutionCounts = NO_JOB_EXECUTIONS;
const counts = (over: Partial<JobExecutionCounts>) => ({ ...none, ...over });
const devices = (n: number, verdict: DeviceAssessment['verdict'], from = 0): DeviceAssessment[] =>
  Array.from({ length: n }, (_, i) => ({ thingName: `line-${from + i}`, verdict, reason: verdict }));
const ctx = { now: new Date('2026-11-23T01:10:00Z'), deadline: new Date('2026-11-23T02:00:00Z'), abortPercent: 10 };
const input = (over: Partial<Parameters<typeof assessFleet>[0]>) => ({
  deploymentStatus: 'ACTIVE',
  jobCounts: none,
  groupSize: 1000,
  sample: devices(50, 'healthy'),
  ...over,
});

describe('the fleet decision over job counts and a sample', () => {
  it('is done when every device succeeded and the sample is healthy', () => {
    expect(assessFleet(input({ jobCounts: counts({ succeeded: 1000 }) }), ctx).outcome).toBe('done');
  });

  it('fails when the job was canceled by its abort criteria', () => {
    const d = assessFleet(input({ deploymentStatus: 'CANCELED', jobCounts: counts({ succeeded: 10 }) }), ctx);
    expect(d).toMatchObject({ outcome: 'failed', errorName: ErrorNames.FleetUnhealthy });
    expect(d.summary).toMatch(/^the fleet deployment is CANCELED/);
  });

  it('fails on the executed devices early in the rollout, once two have executed', () => {
    expect(assessFleet(input({ jobCounts: counts({ failed: 1, queued: 999 }) }), ctx).outcome).toBe('waiting');
    const d = assessFleet(input({ jobCounts: counts({ failed: 1, succeeded: 3, queued: 996 }) }), ctx);
    expect(d.summary).toMatch(
      /^1 of 4 executed fleet device\(s\) failed, at or above the abort threshold of 10% \(25%\)/,
    );
  });

  it('counts timed-out and rejected executions as failures', () => {
    const d = assessFleet(input({ jobCounts: counts({ timedOut: 60, rejected: 40, succeeded: 900 }) }), ctx);
    expect(d).toMatchObject({ outcome: 'failed', jobFailed: 100 });
  });

  it('judges a sample only once enough sampled devices are resolved', () => {
    const few = [...devices(3, 'failed'), ...devices(12, 'healthy', 3), ...devices(35, 'pending', 15)];
    expect(
      assessFleet(input({ jobCounts: counts({ succeeded: 500, inProgress: 500 }), sample: few }), ctx).outcome,
    ).toBe('waiting');
    const enough = [...devices(3, 'failed'), ...devices(20, 'healthy', 3), ...devices(27, 'pending', 23)];
    const d = assessFleet(input({ jobCounts: counts({ succeeded: 500, inProgress: 500 }), sample: enough }), ctx);
    expect(d.summary).toMatch(/^3 of 23 sampled fleet device\(s\) failed the deep check/);
  });

  it('checks every device of a group no larger than the sample, exactly as a full check', () => {
    const all = [...devices(1, 'failed'), ...devices(9, 'healthy', 1)];
    const d = assessFleet(input({ groupSize: 10, sample: all, jobCounts: counts({ succeeded: 10 }) }), ctx);
    expect(d).toMatchObject({ outcome: 'failed', summary: expect.stringMatching(/^1 of 10 fleet device\(s\) failed/) });
    const fine = [...devices(1, 'failed'), ...devices(19, 'healthy', 1)];
    const ok = assessFleet(input({ groupSize: 20, sample: fine, jobCounts: counts({ succeeded: 20 }) }), ctx);
    expect(ok).toMatchObject({ outcome: 'done', summary: expect.stringContaining('1 rolled back: line-0') });
  });

  it("fails when the sampled devices' own metrics show the new model failing inspections, once there are enough", () => {
    const since = (images: number, errors: number) => ({
      sinceModel: { images, errors, verdicts: { unclear: 1, defect: 2 } },
    });
    const early = sumBehaviour([since(50, 10), since(40, 10)], 0);
    const running = { jobCounts: counts({ succeeded: 500, inProgress: 500 }) };
    expect(assessFleet(input({ ...running, behaviour: early }), ctx).outcome).toBe('waiting');
    const enough = sumBehaviour([since(150, 30), since(100, 5)], 1);
    expect(enough).toEqual({ devices: 2, images: 250, errors: 35, unclear: 2, defect: 4, rejected: 1 });
    const d = assessFleet(input({ ...running, behaviour: enough }), ctx);
    expect(d.summary).toMatch(/^35 of 285 inspections failed on the sampled devices under the new model/);
    expect(d.summary).toContain('1 message(s) rejected');
    const healthy = sumBehaviour([since(400, 3)], 0);
    expect(assessFleet(input({ jobCounts: counts({ succeeded: 1000 }), behaviour: healthy }), ctx).outcome).toBe(
      'done',
    );
  });

  it('times out by name with the devices still pending in the sample', () => {
    const late = { ...ctx, now: new Date('2026-11-23T02:00:01Z') };
    const sample = [...devices(49, 'healthy'), ...devices(1, 'pending', 49)];
    const d = assessFleet(input({ jobCounts: counts({ succeeded: 999, inProgress: 1 }), sample }), late);
    expect(d).toMatchObject({ outcome: 'failed', errorName: ErrorNames.FleetTimeout });
    expect(d.summary).toContain('pending in the sample: line-49');
  });
});

describe('drawing the sample', () => {
  it('takes every name when there are fewer than the size, and exactly `size` otherwise, without repeats', () => {
    const names = Array.from({ length: 1000 }, (_, i) => `t-${i}`);
    expect(drawSample(names.slice(0, 7), 50, Math.random)).toEqual(names.slice(0, 7));
    const s = drawSample(names, 50, Math.random);
    expect(new Set(s).size).toBe(50);
  });

  it('reaches the end of the list as often as its start (uniform)', () => {
    let a = 7;
    const random = () => {
      a = (a * 16807) % 2147483647;
      return a / 2147483647;
    };
    const names = Array.from({ length: 200 }, (_, i) => `t-${i}`);
    const hits = { head: 0, tail: 0 };
    for (let r = 0; r < 400; r++) {
      for (const n of drawSample(names, 20, random)) {
        const i = Number(n.slice(2));
        if (i < 50) hits.head++;
        if (i >= 150) hits.tail++;
      }
    }
    // 400 draws of 20 from 200: 2,000 expected in each quarter.
    expect(Math.abs(hits.head - hits.tail)).toBeLessThan(300);
  });

  it('refuses a size that is not a positive integer, naming it', () => {
    expect(() => drawSample(['a'], 0, Math.random)).toThrow('sample size 0: expected a positive integer');
  });
});
