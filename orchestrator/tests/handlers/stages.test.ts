/** Deploy and verify stages over in-memory fakes: canary gate, fleet rollout policy, abort threshold. */
import { describe, expect, it } from 'vitest';
import type { RolloutState } from '../../src/domain/rollout-state.ts';
import { ErrorNames } from '../../src/errors.ts';
import {
  createDeployFleetHandler,
  createResolveModelHandler,
  createVerifyCanaryHandler,
  createVerifyFleetHandler,
} from '../../src/handlers/index.ts';
import type { ModelRegistry } from '../../src/ports.ts';
import { FakeFleet } from '../helpers/fakes.ts';
import { modelPackage, SHA_NEW, SHA_OLD, statusMessage } from '../helpers/fixtures.ts';

const state: RolloutState = {
  found: true,
  model: {
    arn: 'arn:m/2',
    group: 'tag-scratch',
    packageVersion: 2,
    name: 'tag-scratch',
    version: '1.0.2',
    dataUrl: 's3://b/m.onnx',
  },
  component: {
    name: 'com.edgeqc.Model.tag-scratch',
    version: '1.0.2',
    recipeUri: 's3://b/r.json',
    modelSha256: SHA_NEW,
    arn: 'arn:c',
  },
  inferenceComponentVersion: '0.1.0',
};

function fleetOf(count: number, failing: number, group = 'fleet'): FakeFleet {
  const f = new FakeFleet();
  const things = Array.from({ length: count }, (_, i) => `${group}-${i}`);
  f.groups.set(group, things);
  things.forEach((t, i) => {
    const failed = i < failing;
    f.devices.set(t, {
      effective: [
        {
          deploymentId: 'dep-0',
          executionStatus: failed ? 'FAILED' : 'COMPLETED',
          reason: failed ? 'COMPONENT_BROKEN' : undefined,
        },
      ],
      installed: [
        {
          componentName: 'com.edgeqc.Model.tag-scratch',
          componentVersion: failed ? '1.0.1' : '1.0.2',
          lifecycleState: 'FINISHED',
        },
        { componentName: 'com.edgeqc.Inference', componentVersion: '0.1.0', lifecycleState: 'RUNNING' },
      ],
      status: statusMessage(t, { sha256: failed ? SHA_OLD : SHA_NEW }),
    });
  });
  return f;
}

const clock = (iso: string) => () => new Date(iso);

describe('DeployFleet', () => {
  it('deploys with an exponential rollout and abort criteria, ROLLBACK on failure', async () => {
    const fleet = fleetOf(4, 0);
    const out = await createDeployFleetHandler({
      deployments: fleet,
      group: 'fleet',
      options: { fleetAbortPercent: 20 },
    })(state);
    const req = fleet.created[0];
    expect(req?.policies.failureHandlingPolicy).toBe('ROLLBACK');
    expect(req?.jobConfiguration?.rollout?.exponentialRate?.incrementFactor).toBe(2);
    expect(req?.jobConfiguration?.abort?.every((a) => a.thresholdPercentage === 20 && a.action === 'CANCEL')).toBe(
      true,
    );
    expect(out.fleet).toMatchObject({ group: 'fleet', deploymentId: 'dep-0', done: false, checks: 0 });
  });
});

describe('VerifyFleet', () => {
  const deployed = (f: FakeFleet) =>
    createDeployFleetHandler({ deployments: f, group: 'fleet', now: clock('2026-11-23T01:00:00Z') })(state);

  it('fails by name when the failures reach the abort threshold', async () => {
    const f = fleetOf(10, 2);
    const verify = createVerifyFleetHandler({
      deployments: f,
      health: f,
      jobs: f,
      timeoutSeconds: 3600,
      abortPercent: 20,
      now: clock('2026-11-23T01:05:00Z'),
    });
    await expect(verify(await deployed(f))).rejects.toMatchObject({
      name: ErrorNames.FleetUnhealthy,
      message: expect.stringMatching(
        /^\[VerifyFleet\] 2 of 10 fleet device\(s\) failed, at or above the abort threshold of 20%/,
      ),
    });
  });

  it('is done below the threshold and reports the rolled-back devices', async () => {
    const f = fleetOf(10, 1);
    const verify = createVerifyFleetHandler({
      deployments: f,
      health: f,
      jobs: f,
      timeoutSeconds: 3600,
      abortPercent: 20,
      now: clock('2026-11-23T01:05:00Z'),
    });
    const out = await verify(await deployed(f));
    expect(out.fleet).toMatchObject({
      done: true,
      devices: 10,
      summary: expect.stringContaining('1 rolled back: fleet-0'),
    });
  });

  it('fails when the IoT job was canceled by its abort criteria', async () => {
    const f = fleetOf(3, 0);
    f.deploymentStatus = 'CANCELED';
    const verify = createVerifyFleetHandler({
      deployments: f,
      health: f,
      jobs: f,
      timeoutSeconds: 3600,
      now: clock('2026-11-23T01:05:00Z'),
    });
    await expect(verify(await deployed(f))).rejects.toMatchObject({ name: ErrorNames.FleetUnhealthy });
  });
});

describe('VerifyCanary', () => {
  it('waits for a device still on the old model, then times out by name at the deadline', async () => {
    const f = fleetOf(2, 0, 'canary');
    f.devices.get('canary-1')!.status = statusMessage('canary-1', { sha256: SHA_OLD, selfTestSha: SHA_OLD });
    const canary = {
      group: 'canary',
      targetArn: 'arn',
      deploymentId: 'dep-0',
      startedAt: '2026-11-23T01:00:00.000Z',
      done: false,
      checks: 0,
    };
    const early = createVerifyCanaryHandler({
      deployments: f,
      health: f,
      timeoutSeconds: 600,
      now: clock('2026-11-23T01:05:00Z'),
    });
    const waiting = await early({ ...state, canary });
    expect(waiting.canary).toMatchObject({ done: false, checks: 1 });
    const late = createVerifyCanaryHandler({
      deployments: f,
      health: f,
      timeoutSeconds: 600,
      now: clock('2026-11-23T01:11:00Z'),
    });
    await expect(late(waiting)).rejects.toMatchObject({
      name: ErrorNames.CanaryTimeout,
      message: expect.stringContaining('canary-1'),
    });
  });

  it('an empty canary group fails: nothing proves the model', async () => {
    const f = new FakeFleet();
    const canary = {
      group: 'canary',
      targetArn: 'arn',
      deploymentId: 'dep-0',
      startedAt: '2026-11-23T01:00:00.000Z',
      done: false,
      checks: 0,
    };
    await expect(
      createVerifyCanaryHandler({ deployments: f, health: f, timeoutSeconds: 600 })({ ...state, canary }),
    ).rejects.toMatchObject({
      name: ErrorNames.CanaryEmpty,
    });
  });

  it('refuses a state without a canary deployment, naming the missing input', async () => {
    const f = new FakeFleet();
    await expect(
      createVerifyCanaryHandler({ deployments: f, health: f, timeoutSeconds: 600 })(state),
    ).rejects.toMatchObject({
      name: ErrorNames.InvalidInput,
      message: expect.stringContaining('DeployCanary'),
    });
  });
});

describe('ResolveModel over a registry that lists oldest first', () => {
  it('still picks the newest approved package', async () => {
    const registry: ModelRegistry = {
      list: async () => [
        modelPackage({ version: 1 }),
        modelPackage({ version: 2 }),
        modelPackage({ version: 3, approvalStatus: 'Rejected' }),
      ],
      describe: async () => modelPackage(),
      register: async () => modelPackage(),
      approve: async () => {},
    };
    const out = await createResolveModelHandler({ registry, defaultGroup: 'tag-scratch' })({});
    expect(out.model?.packageVersion).toBe(2);
  });

  it('never interleaves: an execution yields to an earlier running one of the same machine', async () => {
    const registry: ModelRegistry = {
      list: async () => [modelPackage({ version: 1 })],
      describe: async () => modelPackage(),
      register: async () => modelPackage(),
      approve: async () => {},
    };
    const sm = 'arn:aws:states:us-east-1:123456789012:stateMachine:ModelRollout';
    const self = {
      arn: `${sm.replace('stateMachine', 'execution')}:b`,
      startedAt: new Date('2026-11-23T01:00:10Z'),
      status: 'RUNNING',
    };
    const earlier = {
      arn: `${sm.replace('stateMachine', 'execution')}:a`,
      startedAt: new Date('2026-11-23T01:00:00Z'),
    };
    const input = { execution: { id: self.arn, stateMachine: sm, startTime: self.startedAt.toISOString() } };
    const busy = createResolveModelHandler({
      registry,
      defaultGroup: 'g',
      executions: { running: async () => [earlier, self] },
    });
    await expect(busy(input)).rejects.toMatchObject({
      name: ErrorNames.RolloutBusy,
      message: expect.stringContaining(earlier.arn),
    });
    const alone = createResolveModelHandler({
      registry,
      defaultGroup: 'g',
      executions: { running: async () => [self] },
    });
    expect((await alone(input)).found).toBe(true);
  });

  it('rejects a malformed state by name, naming the field', async () => {
    const registry = {} as ModelRegistry;
    await expect(createResolveModelHandler({ registry })({ modelPackageArn: 42 })).rejects.toMatchObject({
      name: ErrorNames.InvalidInput,
      message: expect.stringContaining('modelPackageArn'),
    });
  });
});
