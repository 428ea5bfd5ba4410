/**
 * Anti-rollback with real signed bundles (packageModel from the demo model), the real verifier, the
 * real onnxruntime detector and self-test, and the high-water file on disk: the model manager as the
 * agent runs it (agent-runtime.ts gives it `stateDir` and `model.expect`). Folders are laid out as the
 * nucleus lays out a model component's artifacts: packages/artifacts/<component>/<component version>.
 * A "restart" is a new manager over the same state folder, as Greengrass restarts the component with
 * a new --model path when a deployment changes the model component.
 */
import { createHash } from 'node:crypto';
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadDetector } from '../../src/adapters/onnx-detector.ts';
import { createSharpImagePreparer } from '../../src/adapters/sharp-image-preparer.ts';
import { runSelfTests } from '../../src/inference/self-test.ts';
import type { ModelExpectation } from '../../src/integrity/verify-bundle.ts';
import { MODEL_HIGH_WATER_FILE } from '../../src/model/model-high-water.ts';
import { createModelManager, type ModelManager, type ModelManagerEvent } from '../../src/model/model-manager.ts';
import { GOOD_VERSION, makeSignedBundles, OLDER_VERSION, type SignedBundles } from '../integrity/signed-bundles.ts';

let b: SignedBundles;
const managers: ModelManager[] = [];
const COMPONENT = 'com.edgeqc.Model.tag-scratch';

beforeAll(async () => {
  b = await makeSignedBundles();
}, 60_000);
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.close()));
});
afterAll(async () => {
  await rm(b.root, { recursive: true, force: true });
});

const sha256Of = async (bundle: string) =>
  createHash('sha256')
    .update(await readFile(join(bundle, 'model.onnx')))
    .digest('hex');

/** A device: its state folder and its artifacts folder. */
function device(name: string) {
  const root = join(b.root, 'devices', name);
  return {
    stateDir: join(root, 'work', 'state'),
    /** Places `bundle` where the nucleus puts model component `version`'s artifacts. */
    async deliver(bundle: string, componentVersion: string): Promise<string> {
      const dir = join(root, 'packages', 'artifacts', COMPONENT, componentVersion);
      await cp(bundle, dir, { recursive: true });
      return dir;
    },
  };
}

/** The agent's model manager for one run (one deployment), with the real detector and self-test. */
async function run(stateDir: string, dir: string, expect?: ModelExpectation) {
  const events: ModelManagerEvent[] = [];
  const manager = createModelManager({
    dir,
    stateDir,
    ...(expect ? { expect } : {}),
    watch: false,
    retireGraceMs: 0,
    trustedKeys: [b.ed25519.publicKeyPem],
    detector: { intraOpThreads: 1, interOpThreads: 1, worker: false },
    loadDetector,
    runSelfTests,
    preparer: createSharpImagePreparer({ maxFileBytes: 20 * 1024 * 1024, maxPixels: 4096 * 4096 }),
    onEvent: (e) => events.push(e),
  });
  managers.push(manager);
  await manager.start();
  return { manager, events };
}

/** What the inference recipe hands the agent for model component `version` holding `bundle`. */
async function expectationOf(bundle: string, componentVersion: string): Promise<ModelExpectation> {
  return { name: 'tag-scratch', version: componentVersion, sha256: await sha256Of(bundle) };
}

describe('anti-rollback on the device', () => {
  it('an old version re-approved and deployed again is refused after a newer one was accepted, across a restart', async () => {
    const d = device('re-approved');
    const v12 = await d.deliver(b.good, GOOD_VERSION);
    const first = await run(d.stateDir, v12, await expectationOf(b.good, GOOD_VERSION));
    expect(first.manager.status()).toMatchObject({ state: 'serving', model: { version: GOOD_VERSION } });
    await first.manager.close();

    // the old component version, genuinely signed and with a matching manifest, deployed again
    const v11 = await d.deliver(b.older, OLDER_VERSION);
    const second = await run(d.stateDir, v11, await expectationOf(b.older, OLDER_VERSION));
    expect(second.manager.current()).toBeNull();
    expect(second.manager.status()).toMatchObject({ state: 'degraded', lastRefusal: { code: 'MODEL_ROLLBACK' } });
    expect(second.manager.status().reason).toContain(
      `tag-scratch version ${OLDER_VERSION} is below version ${GOOD_VERSION}, the highest this device accepted`,
    );
    expect(second.events).toEqual([
      expect.objectContaining({ type: 'model-rejected', refusal: expect.objectContaining({ code: 'MODEL_ROLLBACK' }) }),
    ]);
  });

  it('an old signed bundle re-wrapped under a newer component version is refused, even on a device with no history', async () => {
    const d = device('re-wrapped');
    const wrapped = await d.deliver(b.older, '1.3.0');
    const { manager } = await run(d.stateDir, wrapped, await expectationOf(b.older, '1.3.0'));
    expect(manager.current()).toBeNull();
    const refusal = manager.status().lastRefusal;
    expect(refusal?.code).toBe('MODEL_EXPECTATION_MISMATCH');
    expect(refusal?.message).toContain(`version ${OLDER_VERSION}, expected 1.3.0`);
    // nothing was accepted, so nothing was recorded
    await expect(readFile(join(d.stateDir, MODEL_HIGH_WATER_FILE))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('the same version deployed again (same model) serves after a restart', async () => {
    const d = device('redeploy');
    const v12 = await d.deliver(b.good, GOOD_VERSION);
    const expectation = await expectationOf(b.good, GOOD_VERSION);
    await (await run(d.stateDir, v12, expectation)).manager.close();
    const again = await run(d.stateDir, v12, expectation);
    expect(again.manager.status()).toMatchObject({ state: 'serving', model: { version: GOOD_VERSION } });
  });

  it('a hot swap to an older bundle in the watched folder is refused and the newer model keeps serving', async () => {
    const d = device('hot-swap');
    const dir = await d.deliver(b.good, 'current');
    const { manager } = await run(d.stateDir, dir);
    await rm(dir, { recursive: true });
    await cp(b.older, dir, { recursive: true });
    const outcome = await manager.reload();
    expect(outcome).toMatchObject({ outcome: 'rejected', refusal: { code: 'MODEL_ROLLBACK' } });
    expect(manager.status()).toMatchObject({ state: 'serving', model: { version: GOOD_VERSION } });
  });

  it('a corrupt high-water file refuses the model (fail closed) and names the file', async () => {
    const d = device('corrupt');
    const v12 = await d.deliver(b.good, GOOD_VERSION);
    await (await run(d.stateDir, v12)).manager.close();
    await writeFile(join(d.stateDir, MODEL_HIGH_WATER_FILE), '{"schema":');
    const { manager } = await run(d.stateDir, v12);
    expect(manager.current()).toBeNull();
    expect(manager.status().lastRefusal).toMatchObject({
      code: 'MODEL_STATE_CORRUPT',
      message: expect.stringContaining(join(d.stateDir, MODEL_HIGH_WATER_FILE)),
    });
  });
});
