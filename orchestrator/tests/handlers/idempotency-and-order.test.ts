/**
 * A retried Lambda, two approvals at once, an old version re-approved, the canary bake and undo without
 * a previous deployment: over in-memory fakes.
 */
import { describe, expect, it } from 'vitest';
import type { RolloutState } from '../../src/domain/rollout-state.ts';
import { ErrorNames } from '../../src/errors.ts';
import {
  createDeployCanaryHandler,
  createNotifyFailureHandler,
  createResolveModelHandler,
  createUndoRolloutHandler,
  createVerifyCanaryHandler,
} from '../../src/handlers/index.ts';
import { FakeFleet, MemoryRegistry } from '../helpers/fakes.ts';
import { modelPackage, SHA_NEW, statusMessage } from '../helpers/fixtures.ts';

const MODEL = 'com.edgeqc.Model.tag-scratch';
const execution = { id: 'arn:aws:states:us-east-1:123456789012:execution:ModelRollout:e1', stateMachine: 'sm' };
const state: RolloutState = {
  execution,
  found: true,
  model: {
    arn: 'arn:m/2',
    group: 'tag-scratch',
    packageVersion: 2,
    name: 'tag-scratch',
    version: '1.0.2',
    dataUrl: 's3://b/m.onnx',
  },
  component: { name: MODEL, version: '1.0.2', recipeUri: 's3://b/r.json', modelSha256: SHA_NEW, arn: 'arn:c' },
};

/** A fleet whose canary group already runs 1.0.1 with configuration and runWith on its components. */
async function fleetOnRelease1() {
  const fleet = new FakeFleet();
  await fleet.createDeployment({
    targetArn: await fleet.thingGroupArn('canary'),
    deploymentName: 'edgeqc-canary-tag-scratch-1.0.1',
    components: {
      [MODEL]: { componentVersion: '1.0.1', configurationUpdate: { merge: '{"note":"m"}' } },
      'com.edgeqc.Inference': {
        componentVersion: '0.1.0',
        configurationUpdate: { merge: '{"camera":{"folder":"/cam"}}', reset: ['/sync'] },
        runWith: { posixUser: 'edgeqc:edgeqc', systemResourceLimits: { memory: 524288, cpus: 1.5 } },
      },
      'aws.greengrass.Nucleus': { componentVersion: '2.14.0', configurationUpdate: { merge: '{"mqtt":{}}' } },
    },
    policies: {
      failureHandlingPolicy: 'ROLLBACK',
      componentUpdatePolicy: { action: 'NOTIFY_COMPONENTS', timeoutInSeconds: 60 },
      configurationValidationPolicy: { timeoutInSeconds: 30 },
    },
  });
  return fleet;
}

describe('DeployCanary', () => {
  it('keeps every component’s configurationUpdate and runWith, and records the previous deployment', async () => {
    const fleet = await fleetOnRelease1();
    const out = await createDeployCanaryHandler({ deployments: fleet, group: 'canary' })(state);
    expect(out.canary).toMatchObject({ deploymentId: 'dep-1', previousDeploymentId: 'dep-0' });
    expect(fleet.created[1]?.components).toEqual({
      [MODEL]: { componentVersion: '1.0.2', configurationUpdate: { merge: '{"note":"m"}' } },
      'com.edgeqc.Inference': {
        componentVersion: '0.1.0',
        configurationUpdate: { merge: '{"camera":{"folder":"/cam"}}', reset: ['/sync'] },
        runWith: { posixUser: 'edgeqc:edgeqc', systemResourceLimits: { memory: 524288, cpus: 1.5 } },
      },
      'aws.greengrass.Nucleus': { componentVersion: '2.14.0', configurationUpdate: { merge: '{"mqtt":{}}' } },
    });
  });

  it('a Lambda retried after a successful CreateDeployment makes no second deployment and keeps the same previous one', async () => {
    const fleet = await fleetOnRelease1();
    const deploy = createDeployCanaryHandler({ deployments: fleet, group: 'canary' });
    const first = await deploy(state);
    // The first invocation's response was lost (timeout): Step Functions runs the step again.
    const second = await deploy(state);
    expect(fleet.createCalls).toBe(3);
    expect(fleet.created).toHaveLength(2);
    expect(second.canary?.deploymentId).toBe(first.canary?.deploymentId);
    expect(second.canary?.previousDeploymentId).toBe('dep-0');
    expect(fleet.created[1]?.clientToken).toMatch(/^[0-9a-f]{64}$/);
    // Another execution is another token.
    await deploy({ ...state, execution: { ...execution, id: `${execution.id}-other` } });
    expect(fleet.created).toHaveLength(3);
  });
});

describe('UndoRollout', () => {
  it('retried, it redeploys the previous release once', async () => {
    const fleet = await fleetOnRelease1();
    const deployed = await createDeployCanaryHandler({ deployments: fleet, group: 'canary' })(state);
    const undo = createUndoRolloutHandler({ deployments: fleet });
    const a = await undo(deployed);
    const b = await undo(deployed);
    expect(a.undo?.canary).toEqual(b.undo?.canary);
    expect(fleet.created).toHaveLength(3);
    expect(fleet.created[2]?.components[MODEL]?.componentVersion).toBe('1.0.1');
    expect(fleet.created[2]?.components['com.edgeqc.Inference']?.runWith?.posixUser).toBe('edgeqc:edgeqc');
  });

  it('a group without a previous deployment is canceled, and the notification says devices keep it', async () => {
    const fleet = new FakeFleet();
    const deployed = await createDeployCanaryHandler({
      deployments: fleet,
      group: 'canary',
      inferenceVersion: '0.1.0',
    })(state);
    const undone = await createUndoRolloutHandler({ deployments: fleet })(deployed);
    expect(fleet.canceled).toEqual(['dep-0']);
    expect(fleet.created).toHaveLength(1);
    const notes: string[] = [];
    await createNotifyFailureHandler({ notifier: { publish: async (_s, m) => void notes.push(m) } })({
      ...undone,
      failure: { Error: ErrorNames.CanaryUnhealthy, Cause: '[VerifyCanary] canary-1 failed' },
    });
    expect(notes[0]).toContain('canary had no previous deployment to go back to');
  });

  it('an undo that failed is said loudly in the notification', async () => {
    const notes: string[] = [];
    await createNotifyFailureHandler({ notifier: { publish: async (_s, m) => void notes.push(m) } })({
      ...state,
      failure: { Error: ErrorNames.FleetUnhealthy, Cause: '[VerifyFleet] 1 of 3 failed' },
      undoFailure: { Error: ErrorNames.Throttled, Cause: '[UndoRollout] throttled' },
    });
    expect(notes[0]).toContain('UNDO FAILED');
  });
});

describe('ResolveModel: one rollout at a time, in version order', () => {
  const registryWith = async (...versions: string[]) => {
    const registry = new MemoryRegistry();
    for (const [i, v] of versions.entries()) {
      registry.packages.push(modelPackage({ version: i + 1, metadata: { modelName: 'tag-scratch', modelVersion: v } }));
    }
    return registry;
  };
  const fleetServing = async (version: string) => {
    const fleet = new FakeFleet();
    await fleet.createDeployment({
      targetArn: await fleet.thingGroupArn('fleet'),
      deploymentName: `edgeqc-fleet-tag-scratch-${version}`,
      components: { [MODEL]: { componentVersion: version } },
      policies: {
        failureHandlingPolicy: 'ROLLBACK',
        componentUpdatePolicy: { action: 'NOTIFY_COMPONENTS', timeoutInSeconds: 60 },
        configurationValidationPolicy: { timeoutInSeconds: 30 },
      },
    });
    return fleet;
  };

  it('two approvals at once: the later start waits; when the newer went first, the older is refused', async () => {
    const registry = await registryWith('1.0.2', '1.0.3');
    const t = '2026-11-23T01:00:00.000Z';
    const e1 = { id: 'arn:exec:a', stateMachine: 'sm', startTime: t };
    const e2 = { id: 'arn:exec:b', stateMachine: 'sm', startTime: t };
    const running = [
      { arn: e1.id, startedAt: new Date(t) },
      { arn: e2.id, startedAt: new Date(t) },
    ];
    const fleet = await fleetServing('1.0.1');
    const resolve = createResolveModelHandler({
      registry,
      executions: { running: async () => running },
      fleet: { deployments: fleet, group: 'fleet' },
    });
    // 1.0.3 (arn:exec:a) goes first, 1.0.2 (arn:exec:b) is told to wait.
    const pkg = (v: number) => registry.packages[v - 1]?.arn;
    await expect(resolve({ execution: e1, modelPackageArn: pkg(2) })).resolves.toMatchObject({ found: true });
    await expect(resolve({ execution: e2, modelPackageArn: pkg(1) })).rejects.toMatchObject({
      name: ErrorNames.RolloutBusy,
    });
    // 1.0.3 reaches the fleet and its execution ends; the waiting 1.0.2 must never deploy after it.
    const served = fleet.created[0];
    if (!served) throw new Error('no fleet deployment');
    await fleet.createDeployment({ ...served, components: { [MODEL]: { componentVersion: '1.0.3' } } });
    running.splice(0, 1);
    await expect(resolve({ execution: e2, modelPackageArn: pkg(1) })).rejects.toMatchObject({
      name: ErrorNames.ModelOutdated,
      code: 'NOT_NEWER',
    });
  });

  it('an old version re-approved (or the same one again) is refused; a newer one passes', async () => {
    const registry = await registryWith('1.0.1', '1.0.2', '1.1.0');
    const resolve = createResolveModelHandler({
      registry,
      fleet: { deployments: await fleetServing('1.0.2'), group: 'fleet' },
    });
    const arn = (i: number) => registry.packages[i]?.arn;
    await expect(resolve({ modelPackageArn: arn(0) })).rejects.toMatchObject({ name: ErrorNames.ModelOutdated });
    await expect(resolve({ modelPackageArn: arn(1) })).rejects.toMatchObject({ name: ErrorNames.ModelOutdated });
    await expect(resolve({ modelPackageArn: arn(2) })).resolves.toMatchObject({ model: { version: '1.1.0' } });
  });
});

describe('VerifyCanary bake', () => {
  const at = (iso: string) => () => new Date(iso);
  const canaryState = (fleet: FakeFleet): RolloutState => ({
    ...state,
    canary: {
      group: 'canary',
      targetArn: 'arn:aws:iot:us-east-1:123456789012:thinggroup/canary',
      deploymentId: 'dep-0',
      startedAt: '2026-11-23T00:59:00.000Z',
      done: false,
      checks: 0,
    },
    inferenceComponentVersion: fleet ? '0.1.0' : undefined,
  });
  const healthyCanary = (status: Record<string, unknown> = {}) => {
    const fleet = new FakeFleet();
    fleet.groups.set('canary', ['canary-1']);
    fleet.devices.set('canary-1', {
      effective: [{ deploymentId: 'dep-0', executionStatus: 'COMPLETED' }],
      installed: [
        { componentName: MODEL, componentVersion: '1.0.2', lifecycleState: 'FINISHED' },
        { componentName: 'com.edgeqc.Inference', componentVersion: '0.1.0', lifecycleState: 'RUNNING' },
      ],
      status: { ...(statusMessage('canary-1') as object), ...status },
    });
    return fleet;
  };

  it('is done only after the bake, with the heartbeat moved on and the error counts unchanged', async () => {
    const fleet = healthyCanary();
    const verify = (now: string) =>
      createVerifyCanaryHandler({
        deployments: fleet,
        health: fleet,
        timeoutSeconds: 900,
        bakeSeconds: 60,
        now: at(now),
      });
    const s1 = await verify('2026-11-23T01:00:00.000Z')(canaryState(fleet));
    expect(s1.canary).toMatchObject({ done: false, bake: { since: '2026-11-23T01:00:00.000Z' } });
    const s2 = await verify('2026-11-23T01:00:30.000Z')(s1);
    expect(s2.canary?.done).toBe(false);
    // The bake is over but the heartbeat has not moved: wait for it.
    const s3 = await verify('2026-11-23T01:01:01.000Z')(s2);
    expect(s3.canary?.done).toBe(false);
    fleet.devices.get('canary-1')!.status = {
      ...(statusMessage('canary-1') as object),
      at: '2026-11-23T01:01:00.000Z',
    };
    const s4 = await verify('2026-11-23T01:01:02.000Z')(s3);
    expect(s4.canary?.done).toBe(true);
  });

  it('fails the canary when images are quarantined during the bake', async () => {
    const fleet = healthyCanary();
    const verify = createVerifyCanaryHandler({
      deployments: fleet,
      health: fleet,
      timeoutSeconds: 900,
      bakeSeconds: 60,
      now: at('2026-11-23T01:00:10.000Z'),
    });
    const s1 = await verify(canaryState(fleet));
    const base = statusMessage('canary-1') as { counters: Record<string, number> };
    fleet.devices.get('canary-1')!.status = { ...base, counters: { ...base.counters, quarantined: 2 } };
    await expect(verify(s1)).rejects.toMatchObject({ name: ErrorNames.CanaryUnhealthy, code: 'BAKE_FAILED' });
  });
});
