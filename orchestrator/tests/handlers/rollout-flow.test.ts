/**
 * The whole rollout through every handler, driven as the README's state machine contract describes
 * (Choice on ChoicePaths, wait loops, Catch into NotifyFailure), over in-memory ports, the real ONNX
 * demo model, real packaging and a local ECDSA signer. The device side answers as Greengrass would.
 */
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPemSigner, generateDevKeyPair } from '@edgeqc/model-component/signers';
import { describe, expect, it } from 'vitest';
import { publishModel } from '../../src/cli/publish-model-command.ts';
import { type RolloutState, StepNames } from '../../src/domain/rollout-state.ts';
import { ErrorNames, isRetryable, RolloutError } from '../../src/errors.ts';
import {
  createCheckDeployableHandler,
  createCreateComponentVersionHandler,
  createDeployCanaryHandler,
  createDeployFleetHandler,
  createNotifyFailureHandler,
  createNotifyHandler,
  createPackageModelHandler,
  createResolveModelHandler,
  createUndoRolloutHandler,
  createVerifyCanaryHandler,
  createVerifyFleetHandler,
} from '../../src/handlers/index.ts';
import type { DeploymentRequest } from '../../src/ports.ts';
import { FakeFleet, MemoryCatalog, MemoryRegistry, MemoryStore } from '../helpers/fakes.ts';
import { statusMessage } from '../helpers/fixtures.ts';

const MODEL = new URL('../../../model-component/models/tag-scratch/model.int8.onnx', import.meta.url).pathname;
const INFERENCE = 'com.edgeqc.Inference';

/** Devices that apply a deployment at once; `bad` ones fail their self-test on the new model. */
function fleetThatApplies(fleet: FakeFleet, sha256: () => string, bad: ReadonlySet<string>) {
  const create = fleet.createDeployment.bind(fleet);
  fleet.createDeployment = async (req: DeploymentRequest) => {
    const out = await create(req);
    const group = req.targetArn.split('/').at(-1) ?? '';
    for (const thing of fleet.groups.get(group) ?? []) {
      fleet.devices.set(thing, {
        effective: [{ deploymentId: out.deploymentId, executionStatus: 'COMPLETED' }],
        installed: Object.entries(req.components).map(([componentName, c]) => ({
          componentName,
          componentVersion: c.componentVersion,
          lifecycleState: componentName === INFERENCE ? 'RUNNING' : 'FINISHED',
        })),
        status: statusMessage(thing, { sha256: sha256(), selfTestPassed: !bad.has(thing) }),
      });
    }
    return out;
  };
}

async function world(badDevices: string[] = [], o: { versionOrder?: boolean } = {}) {
  const registry = new MemoryRegistry();
  const store = new MemoryStore();
  const catalog = new MemoryCatalog();
  const fleet = new FakeFleet();
  fleet.groups.set('canary', ['canary-1']);
  fleet.groups.set('fleet', ['fleet-1', 'fleet-2', 'fleet-3']);
  const notes: { subject: string; message: string }[] = [];
  const notifier = { publish: async (subject: string, message: string) => void notes.push({ subject, message }) };
  const signer = createPemSigner(generateDevKeyPair('ecdsa-p256').privateKeyPem);
  let sha = '';
  const bad = new Set(badDevices);
  fleetThatApplies(fleet, () => sha, bad);
  const handlers = {
    [StepNames.ResolveModel]: createResolveModelHandler({
      registry,
      defaultGroup: 'tag-scratch',
      ...(o.versionOrder ? { fleet: { deployments: fleet, group: 'fleet' } } : {}),
    }),
    [StepNames.PackageModel]: createPackageModelHandler({ registry, store, signer, bucket: 'edgeqc-components' }),
    [StepNames.CreateComponentVersion]: createCreateComponentVersionHandler({ store, catalog }),
    [StepNames.CheckDeployable]: createCheckDeployableHandler({ catalog }),
    [StepNames.DeployCanary]: createDeployCanaryHandler({
      deployments: fleet,
      group: 'canary',
      inferenceVersion: '0.1.0',
    }),
    [StepNames.VerifyCanary]: createVerifyCanaryHandler({ deployments: fleet, health: fleet, timeoutSeconds: 600 }),
    [StepNames.DeployFleet]: createDeployFleetHandler({ deployments: fleet, group: 'fleet' }),
    [StepNames.VerifyFleet]: createVerifyFleetHandler({
      deployments: fleet,
      health: fleet,
      jobs: fleet,
      timeoutSeconds: 600,
    }),
    [StepNames.Notify]: createNotifyHandler({ notifier }),
    [StepNames.UndoRollout]: createUndoRolloutHandler({ deployments: fleet }),
    [StepNames.NotifyFailure]: createNotifyFailureHandler({ notifier }),
  };
  /** The documented flow; a thrown error goes to NotifyFailure as Step Functions' Catch would pass it. */
  const run = async (input: RolloutState) => {
    let s = input;
    const path: string[] = [];
    /** Retries as the state machine does: RETRYABLE_ERROR_NAMES up to 3 attempts, same input. */
    const step = async (name: keyof typeof handlers) => {
      for (let attempt = 1; ; attempt++) {
        path.push(name);
        try {
          s = (await handlers[name](s)) as RolloutState;
          return;
        } catch (err) {
          if (!isRetryable(err) || attempt >= 3) throw err;
        }
      }
    };
    try {
      await step(StepNames.ResolveModel);
      if (s.found === false) {
        await step(StepNames.Notify);
        return { state: s, path, notes };
      }
      await step(StepNames.PackageModel);
      if (s.component) sha = s.component.modelSha256;
      await step(StepNames.CreateComponentVersion);
      do await step(StepNames.CheckDeployable);
      while (!s.deployable);
      await step(StepNames.DeployCanary);
      do await step(StepNames.VerifyCanary);
      while (!s.canary?.done);
      await step(StepNames.DeployFleet);
      do await step(StepNames.VerifyFleet);
      while (!s.fleet?.done);
      await step(StepNames.Notify);
    } catch (err) {
      const e = err as Error;
      s = { ...s, failure: { Error: e.name, Cause: JSON.stringify({ errorType: e.name, errorMessage: e.message }) } };
      try {
        await step(StepNames.UndoRollout);
      } catch (undoErr) {
        const u = undoErr as Error;
        s = { ...s, undoFailure: { Error: u.name, Cause: u.message } };
      }
      await step(StepNames.NotifyFailure);
    }
    return { state: s, path, notes };
  };
  const publish = async (selfTest: { path: string; expectedVerdict: string }[] = [], modelPath = MODEL) => {
    const r = await publishModel(
      { registry, store },
      {
        modelPath,
        group: 'tag-scratch',
        bucket: 'edgeqc-models',
        name: 'tag-scratch',
        labels: ['scratch'],
        selfTest,
        approve: true,
      },
    );
    return r;
  };
  return { run, publish, fleet, catalog, store, notes, registry, bad };
}

describe('rollout flow through every handler', () => {
  it('an empty registry succeeds as a no-op', async () => {
    const w = await world();
    const { path, notes } = await w.run({});
    expect(path).toEqual([StepNames.ResolveModel, StepNames.Notify]);
    expect(notes[0]?.subject).toContain('nothing to roll out');
  });

  it('publish -> canary -> fleet -> notify; the same model again makes no new component version', async () => {
    const w = await world();
    const published = await w.publish();
    expect(published.sha256).toBe(
      (await import('node:crypto'))
        .createHash('sha256')
        .update(await readFile(MODEL))
        .digest('hex'),
    );
    const first = await w.run({ modelPackageArn: published.modelPackageArn });
    expect(first.path.at(-1)).toBe(StepNames.Notify);
    expect(first.state.fleet).toMatchObject({ done: true, devices: 3 });
    expect(w.fleet.created.map((r) => r.targetArn.split('/').at(-1))).toEqual(['canary', 'fleet']);
    expect(w.fleet.created[1]?.components).toMatchObject({
      'com.edgeqc.Model.tag-scratch': { componentVersion: '1.0.1' },
      [INFERENCE]: { componentVersion: '0.1.0' },
    });
    expect(w.notes.at(-1)?.subject).toBe('edgeqc rollout succeeded: tag-scratch 1.0.1');

    const objects = w.store.objects.size;
    const again = await w.run({ modelPackageArn: published.modelPackageArn });
    expect(again.path.at(-1)).toBe(StepNames.Notify);
    expect(w.catalog.versions.size).toBe(1);
    expect(w.store.objects.size).toBe(objects);
  });

  it('a canary device failing its self-test stops the rollout: the fleet is never touched', async () => {
    const w = await world(['canary-1']);
    const published = await w.publish();
    const { path, state, notes } = await w.run({ modelPackageArn: published.modelPackageArn });
    expect(path.slice(-3)).toEqual([StepNames.VerifyCanary, StepNames.UndoRollout, StepNames.NotifyFailure]);
    expect(state.failedStep).toBe(StepNames.VerifyCanary);
    expect(w.fleet.created.map((r) => r.targetArn.split('/').at(-1))).toEqual(['canary']);
    expect(w.fleet.canceled).toEqual(['dep-0']);
    expect(notes.at(-1)?.subject).toBe('edgeqc rollout FAILED at VerifyCanary: tag-scratch 1.0.1');
    expect(notes.at(-1)?.message).toContain(`Error: ${ErrorNames.CanaryUnhealthy}`);
    expect(notes.at(-1)?.message).toContain('canary-1: self-test of the new model failed');
    expect(notes.at(-1)?.message).toContain('The fleet was not touched.');
  });

  it('a throttled CreateDeployment is retried with the same input: one canary deployment, rollout succeeds', async () => {
    const w = await world();
    const create = w.fleet.createDeployment.bind(w.fleet);
    let calls = 0;
    w.fleet.createDeployment = async (req) => {
      if (++calls === 1)
        throw new RolloutError(ErrorNames.Throttled, 'ThrottlingException', 'Greengrass CreateDeployment: throttled');
      return create(req);
    };
    const published = await w.publish();
    const { path } = await w.run({ modelPackageArn: published.modelPackageArn });
    expect(path.filter((p) => p === StepNames.DeployCanary)).toHaveLength(2);
    expect(path.at(-1)).toBe(StepNames.Notify);
    expect(w.fleet.created.map((r) => r.targetArn.split('/').at(-1))).toEqual(['canary', 'fleet']);
  });

  it('a fleet failure after canary success cancels both deployments and puts both groups back on the previous release', async () => {
    const w = await world([], { versionOrder: true });
    const first = await w.run({ modelPackageArn: (await w.publish()).modelPackageArn });
    expect(first.path.at(-1)).toBe(StepNames.Notify);
    w.bad.add('fleet-2');
    const second = await w.run({ modelPackageArn: (await w.publish()).modelPackageArn });
    expect(second.state.canary?.done).toBe(true);
    expect(second.path.slice(-3)).toEqual([StepNames.VerifyFleet, StepNames.UndoRollout, StepNames.NotifyFailure]);
    const byName = (i: number) => w.fleet.created[i];
    // dep-0/1: 1.0.1 canary/fleet; dep-2/3: 1.0.2 canary/fleet; then the restores, fleet first.
    expect(w.fleet.canceled).toEqual(['dep-3', 'dep-2']);
    expect(w.fleet.created).toHaveLength(6);
    expect(byName(4)).toMatchObject({
      targetArn: expect.stringContaining('thinggroup/fleet'),
      components: { 'com.edgeqc.Model.tag-scratch': { componentVersion: '1.0.1' } },
    });
    expect(byName(5)).toMatchObject({
      targetArn: expect.stringContaining('thinggroup/canary'),
      components: { 'com.edgeqc.Model.tag-scratch': { componentVersion: '1.0.1' } },
    });
    expect(second.state.undo).toMatchObject({
      fleet: { canceledDeploymentId: 'dep-3', previousDeploymentId: 'dep-1', restoredDeploymentId: 'dep-4' },
      canary: { canceledDeploymentId: 'dep-2', previousDeploymentId: 'dep-0', restoredDeploymentId: 'dep-5' },
    });
    const note = w.notes.at(-1);
    expect(note?.subject).toBe('edgeqc rollout FAILED at VerifyFleet: tag-scratch 1.0.2');
    expect(note?.message).toContain(
      'Undone: fleet deployment dep-3 canceled, the previous deployment dep-1 redeployed',
    );
    expect(note?.message).toContain(
      'Undone: canary deployment dep-2 canceled, the previous deployment dep-0 redeployed',
    );
  });

  it('an old version re-approved is refused before anything is packaged or deployed', async () => {
    const w = await world([], { versionOrder: true });
    const old = await w.publish();
    await w.run({ modelPackageArn: old.modelPackageArn });
    await w.run({ modelPackageArn: (await w.publish()).modelPackageArn });
    const deployments = w.fleet.created.length;
    const again = await w.run({ modelPackageArn: old.modelPackageArn });
    expect(again.path).toEqual([StepNames.ResolveModel, StepNames.UndoRollout, StepNames.NotifyFailure]);
    expect(again.state.failure?.Error).toBe(ErrorNames.ModelOutdated);
    expect(w.notes.at(-1)?.message).toContain('is not newer than 1.0.2, which the fleet serves');
    expect(w.fleet.created).toHaveLength(deployments);
  });

  it('a model that fails validation ends in NotifyFailure at PackageModel, nothing deployed', async () => {
    const w = await world();
    await w.store.put('s3://edgeqc-models/bad/model.onnx', new TextEncoder().encode('not onnx'));
    const pkg = await w.registry.register({
      group: 'tag-scratch',
      modelDataUrl: 's3://edgeqc-models/bad/model.onnx',
      metadata: { labels: 'scratch' },
    });
    await w.registry.approve(pkg.arn);
    const { path, notes } = await w.run({ modelPackageArn: pkg.arn });
    expect(path).toEqual([
      StepNames.ResolveModel,
      StepNames.PackageModel,
      StepNames.UndoRollout,
      StepNames.NotifyFailure,
    ]);
    expect(notes.at(-1)?.message).not.toContain('Undone');
    expect(notes.at(-1)?.message).toContain(`Error: ${ErrorNames.ModelInvalid}`);
    expect(w.fleet.created).toHaveLength(0);
  });

  it('self-test images given to publish-model travel into the signed bundle', async () => {
    const w = await world();
    const image = new URL('../../../model-component/models/tag-scratch/samples/clean-01.jpg', import.meta.url).pathname;
    const published = await w.publish([{ path: image, expectedVerdict: 'ok' }]);
    const { path } = await w.run({ modelPackageArn: published.modelPackageArn });
    expect(path.at(-1)).toBe(StepNames.Notify);
    const base = 's3://edgeqc-components/components/com.edgeqc.Model.tag-scratch/1.0.1';
    const manifest = JSON.parse(new TextDecoder().decode(await w.store.get(`${base}/manifest.json`))) as {
      selfTest: { file: string; expectedVerdict: string }[];
    };
    expect(manifest.selfTest).toEqual([
      expect.objectContaining({ file: 'selftest-1-clean-01.jpg', expectedVerdict: 'ok' }),
    ]);
    expect(Buffer.from(await w.store.get(`${base}/selftest-1-clean-01.jpg`)).equals(await readFile(image))).toBe(true);
  });

  /** Runs `fn` with a copy of the demo model in a temporary folder, beside a thresholds.json of `text`. */
  async function withThresholdsBeside(text: string, fn: (modelPath: string, dir: string) => Promise<void>) {
    const dir = await mkdtemp(join(tmpdir(), 'edgeqc-thresholds-'));
    try {
      await copyFile(MODEL, join(dir, 'model.onnx'));
      await writeFile(join(dir, 'thresholds.json'), text);
      await fn(join(dir, 'model.onnx'), dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it("the model's thresholds.json travels beside it into the signed manifest", async () => {
    const w = await world();
    await withThresholdsBeside('{"iou": 0.45, "defect": 0.55}', async (modelPath) => {
      const published = await w.publish([], modelPath);
      expect(w.store.objects.has(published.modelDataUrl.replace('model.onnx', 'thresholds.json'))).toBe(true);
      const { path } = await w.run({ modelPackageArn: published.modelPackageArn });
      expect(path.at(-1)).toBe(StepNames.Notify);
      const base = 's3://edgeqc-components/components/com.edgeqc.Model.tag-scratch/1.0.1';
      const manifest = JSON.parse(new TextDecoder().decode(await w.store.get(`${base}/manifest.json`))) as {
        thresholds: Record<string, number>;
      };
      expect(manifest.thresholds).toMatchObject({ iou: 0.45, defect: 0.55, confidence: 0.25, review: 0.25 });
    });
  });

  it('a bad thresholds.json beside the model is refused by publish-model, naming the file, before any upload', async () => {
    const w = await world();
    await withThresholdsBeside('{"iou": 7}', async (modelPath, dir) => {
      await expect(w.publish([], modelPath)).rejects.toMatchObject({
        code: 'THRESHOLDS_INVALID',
        message: expect.stringContaining(join(dir, 'thresholds.json')),
      });
      expect(w.store.objects.size).toBe(0);
    });
  });
});
