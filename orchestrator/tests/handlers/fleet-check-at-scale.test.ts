/**
 * The fleet check at 10 to 100,000 devices, against a simulated fleet behind fake Greengrass v2 / IoT /
 * IoT data-plane APIs held to AWS's request rates, in simulated time (vitest's fake timers): the number
 * of API calls and the simulated time of each check come from the rate limiter, not the wall clock.
 *
 * Rates (requests per second, per account and region), and where they come from:
 *   Greengrass v2  GetDeployment, ListEffectiveDeployments, ListInstalledComponents   5 each
 *   IoT            DescribeJob 10, ListThingsInThingGroup 10 (250 things a page, the API's largest)
 *   IoT data       GetRetainedMessage 20
 * Sources: AWS General Reference, "AWS IoT Greengrass V2 endpoints and quotas"
 * (https://docs.aws.amazon.com/general/latest/gr/greengrassv2.html), "AWS IoT Core endpoints and quotas"
 * (https://docs.aws.amazon.com/general/latest/gr/iot-core.html, API throttling limits), "AWS IoT Device
 * Management endpoints and quotas" (https://docs.aws.amazon.com/general/latest/gr/iot_device_management.html,
 * Jobs API rates); page sizes from the API references of ListThingsInThingGroup and
 * ListEffectiveDeployments. The IoT developer guide's "AWS IoT Jobs limits" page says a job rolls out
 * executions to at most 1,000 devices a minute, which is why a fleet check is repeated (every 60 s) rather
 * than waited out in one call. The stored copies of the quota pages we could read when writing this did
 * not show every per-API row, so each rate above is a deliberately low figure: the check's time is its
 * calls divided by these rates, and higher real quotas only make it shorter. Check the account's
 * Service Quotas console before relying on one.
 */

import type { MetricsMessage } from '@edgeqc/edge-component/contracts';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createGreengrassDeploymentService } from '../../src/adapters/greengrass-deployments.ts';
import { createIotDeploymentJobs } from '../../src/adapters/iot-deployment-jobs.ts';
import { createIotFleetHealth } from '../../src/adapters/iot-fleet-health.ts';
import type { RolloutState } from '../../src/domain/rollout-state.ts';
import { ErrorNames } from '../../src/errors.ts';
import { DEFAULT_FLEET_SAMPLE_SIZE, verifyFleet } from '../../src/handlers/verify-fleet.ts';
import { verifyStage } from '../../src/handlers/verify-stage.ts';
import type { BehaviourSource } from '../../src/ports.ts';
import { SHA_NEW } from '../helpers/fixtures.ts';
import {
  type SimulatedFleetApi as Api,
  SIM,
  SimulatedFleetApi,
  type SimulatedOutcome,
} from '../helpers/simulated-fleet-api.ts';

const RATES_PER_SECOND = {
  GetDeployment: 5,
  ListEffectiveDeployments: 5,
  ListInstalledComponents: 5,
  DescribeJob: 10,
  ListThingsInThingGroup: 10,
  GetRetainedMessage: 20,
};
const LAMBDA_LIMIT_MS = 15 * 60_000;
/** "Well inside" the Lambda limit: a check must end within a minute of simulated time. */
const CHECK_BUDGET_MS = 60_000;
const silent = pino({ level: 'silent' });

/** A repeatable [0, 1) generator (mulberry32), so that the sample is the same on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const state: RolloutState = {
  component: { name: SIM.model, version: SIM.version, recipeUri: 's3://b/r.json', modelSha256: SHA_NEW, arn: 'arn:c' },
  fleet: {
    group: SIM.group,
    targetArn: `arn:aws:iot:us-east-1:123456789012:thinggroup/${SIM.group}`,
    deploymentId: SIM.deploymentId,
    startedAt: '2026-11-23T01:00:00.000Z',
    done: false,
    checks: 0,
  },
};

/** Runs `work` in simulated time; returns its outcome, the simulated milliseconds and the calls it made. */
async function simulate<T>(api: Api, work: () => Promise<T>) {
  const t0 = Date.now();
  const callsBefore = api.totalCalls;
  let settled = false;
  let result: T | undefined;
  let error: unknown;
  work()
    .then(
      (r) => {
        result = r;
      },
      (e: unknown) => {
        error = e;
      },
    )
    .finally(() => {
      settled = true;
    });
  for (let i = 0; !settled; i++) {
    if (i > 200_000) throw new Error('the simulated check never settled');
    await vi.advanceTimersToNextTimerAsync();
  }
  return { result, error, ms: Date.now() - t0, calls: api.totalCalls - callsBefore };
}

function fleet(size: number, outcome: (i: number) => SimulatedOutcome) {
  const api = new SimulatedFleetApi({ size, outcome, ratesPerSecond: RATES_PER_SECOND });
  const deps = {
    deployments: createGreengrassDeploymentService(api.greengrass, api.iot),
    health: createIotFleetHealth(api.iotData),
    jobs: createIotDeploymentJobs(api.iot),
    timeoutSeconds: 3600,
    abortPercent: 10,
    random: seeded(23),
    now: () => new Date('2026-11-23T01:10:00.000Z'),
  };
  const check = (input: RolloutState) => simulate(api, () => verifyFleet(deps, input as never, silent));
  return { api, deps, check };
}

/** Every n-th device (by index) has the outcome, the rest are healthy. */
const everyNth =
  (n: number, outcome: SimulatedOutcome) =>
  (i: number): SimulatedOutcome =>
    i % n === 0 ? outcome : 'healthy';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: new Date('2026-11-23T01:10:00.000Z') });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('the fleet check at 10,000 devices, held to AWS request rates', () => {
  it('passes a healthy fleet in a bounded number of calls, well inside a Lambda run', async () => {
    const { check } = fleet(10_000, () => 'healthy');
    const first = await check(state);
    expect(first.error).toBeUndefined();
    expect(first.result?.fleet).toMatchObject({ done: true, devices: 10_000 });
    expect(first.result?.fleet?.sample).toHaveLength(DEFAULT_FLEET_SAMPLE_SIZE);
    // 40 pages of members (once per rollout), GetDeployment, DescribeJob, 3 reads per sampled device.
    expect(first.calls).toBe(40 + 2 + 3 * DEFAULT_FLEET_SAMPLE_SIZE);
    expect(first.ms).toBeLessThan(CHECK_BUDGET_MS);
    expect(first.ms).toBeLessThan(LAMBDA_LIMIT_MS);
  });

  it('catches a deployment failure rate above the abort threshold from the job counts', async () => {
    // One device in eight fails its deployment: 12.5 %, above the 10 % threshold.
    const { check } = fleet(10_000, everyNth(8, 'deployment-failed'));
    const r = await check(state);
    expect(r.error).toMatchObject({
      name: ErrorNames.FleetUnhealthy,
      message: expect.stringMatching(/^1250 of 10000 fleet device\(s\) failed, at or above the abort threshold of 10%/),
    });
    expect(r.ms).toBeLessThan(CHECK_BUDGET_MS);
  });

  it('catches failures only a deep check sees (deployment succeeded, self-test failed) through the sample', async () => {
    // One device in five serves a model that fails its self-test, while its deployment reported success.
    const { check } = fleet(10_000, everyNth(5, 'self-test-failed'));
    const r = await check(state);
    expect(r.error).toMatchObject({
      name: ErrorNames.FleetUnhealthy,
      message: expect.stringMatching(
        /sampled fleet device\(s\) failed the deep check, at or above the abort threshold of 10%/,
      ),
    });
    expect(r.ms).toBeLessThan(CHECK_BUDGET_MS);
  });

  it('passes a fleet with a few failed devices below the threshold, and reports them', async () => {
    const { check } = fleet(10_000, everyNth(50, 'deployment-failed'));
    const r = await check(state);
    expect(r.error).toBeUndefined();
    expect(r.result?.fleet).toMatchObject({
      done: true,
      summary: expect.stringContaining('200 failed, below the abort threshold'),
    });
  });

  it('waits while devices are still in progress, then checks again for the same cost without listing the group', async () => {
    let rolledOut = false;
    const { check } = fleet(10_000, (i) => (!rolledOut && i % 3 === 0 ? 'in-progress' : 'healthy'));
    const first = await check(state);
    expect(first.result?.fleet).toMatchObject({ done: false, checks: 1 });
    rolledOut = true;
    const second = await check(first.result as RolloutState);
    expect(second.result?.fleet).toMatchObject({ done: true, checks: 2, sample: first.result?.fleet?.sample });
    expect(second.calls).toBe(2 + 3 * DEFAULT_FLEET_SAMPLE_SIZE);
  });

  it("reads the sampled devices' metrics in one call a check and fails when the new model fails inspections", async () => {
    const { api, deps } = fleet(10_000, () => 'healthy');
    const asked: number[] = [];
    const behaviour: BehaviourSource = {
      async latest(q) {
        asked.push(q.thingNames.length);
        const messages = q.thingNames.map((thingName) => ({
          thingName,
          sinceModel: { images: 90, errors: 20, verdicts: { ok: 80, defect: 8, unclear: 2 } },
        }));
        return { messages: messages as unknown as MetricsMessage[], rejected: 0 };
      },
    };
    const r = await simulate(api, () => verifyFleet({ ...deps, behaviour }, state as never, silent));
    expect(asked).toEqual([DEFAULT_FLEET_SAMPLE_SIZE]);
    expect(r.error).toMatchObject({
      name: ErrorNames.FleetUnhealthy,
      message: expect.stringMatching(/^1000 of 5500 inspections failed on the sampled devices under the new model/),
    });
  });

  it('costs the same per check at 10 devices and at 100,000', async () => {
    const cost = async (size: number) => {
      const { check } = fleet(size, () => 'healthy');
      const first = await check(state);
      const again = await check({ ...(first.result as RolloutState), fleet: { ...first.result!.fleet!, done: false } });
      return { first, again };
    };
    const small = await cost(10);
    const large = await cost(100_000);
    // Every device is the sample at 10; 50 of them at 100,000. Listing the group happens once per rollout.
    expect(small.again.calls).toBe(2 + 3 * 10);
    expect(large.again.calls).toBe(2 + 3 * DEFAULT_FLEET_SAMPLE_SIZE);
    expect(large.first.calls - large.again.calls).toBe(400);
    expect(large.first.ms).toBeLessThan(CHECK_BUDGET_MS);
    expect(large.again.ms).toBeLessThan(CHECK_BUDGET_MS);
  });

  it('the former check of every device would not fit in a Lambda run at 10,000 devices', async () => {
    const { api, deps } = fleet(10_000, () => 'healthy');
    const r = await simulate(api, () => verifyStage('fleet', { ...deps, concurrency: 8 }, state as never, silent));
    expect(r.calls).toBeGreaterThanOrEqual(30_000);
    expect(r.ms).toBeGreaterThan(LAMBDA_LIMIT_MS);
  }, 60_000);
});
