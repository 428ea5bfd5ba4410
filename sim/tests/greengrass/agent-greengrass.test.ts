/**
 * `main.js agent --greengrass` against the simulated nucleus's IPC server (standalone):
 * configuration from GetConfiguration (relative paths against the work folder), publishing through
 * PublishToIoTCore, UpdateState; an invalid configuration update rejected through the validation hook;
 * a tampered model reported as ERRORED with the reason on /status and /errors, the camera left alone.
 */
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_SAMPLES_DIR, type DemoBundle, demoBundle } from '@edgeqc/edge-component/demo-bundle';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StandaloneNucleus, startStandaloneNucleus } from '../../src/device/ipc/standalone-nucleus.ts';
import { withComment } from '../../src/edge-demo/camera-simulator.ts';
import { spawnAgent, until } from '../support/agent-child.ts';

/** A real bundle of the INT8 demo model (packaged, self-tested from the samples, signed with a dev key). */
const testBundle = () => demoBundle({ cacheDir: join(tmpdir(), 'edgeqc-agent-tests-bundle') });

/** Small JPEGs cut from the demo model's sample images, one per sample. */
async function smallBases(width: number): Promise<Uint8Array[]> {
  const files = (await readdir(DEMO_SAMPLES_DIR)).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort();
  return Promise.all(
    files.map(async (f) => new Uint8Array(await sharp(join(DEMO_SAMPLES_DIR, f)).resize({ width }).jpeg().toBuffer())),
  );
}

/** The JPEG with a comment: other bytes, same pixels, so a distinct image file. */
const stamped = (jpeg: Uint8Array, label: string) => withComment(jpeg, `edgeqc-test:${label}`);

const filesIn = async (dir: string) =>
  (await readdir(dir, { withFileTypes: true }).catch(() => [])).filter((e) => e.isFile()).map((e) => e.name);

let bundle: DemoBundle;
let bases: Uint8Array[];
let root: string;

beforeAll(async () => {
  [bundle, bases] = await Promise.all([testBundle(), smallBases(96)]);
  root = await mkdtemp(join(tmpdir(), 'edgeqc-agent-gg-'));
}, 120_000);
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const decode = (p: { topicName: string; payload: Uint8Array }) => ({
  topic: p.topicName,
  json: JSON.parse(new TextDecoder().decode(p.payload)) as Record<string, unknown>,
});

async function withNucleus(name: string, modelDir: string, run: (n: StandaloneNucleus, work: string) => Promise<void>) {
  const work = join(root, name);
  await mkdir(join(work, 'camera'), { recursive: true });
  const nucleus = await startStandaloneNucleus({
    componentName: 'com.edgeqc.Inference',
    configuration: { cameraDir: 'camera', trustedKeys: [bundle.publicKeyPem], inference: { intraOpThreads: 1 } },
  });
  const agent = spawnAgent(['--greengrass', '--model', modelDir], { ...nucleus.env, AWS_IOT_THING_NAME: name }, work);
  try {
    await run(nucleus, work);
    agent.child.kill('SIGTERM');
    const exit = await agent.exited;
    expect(exit, agent.stderr().slice(-3000)).toEqual({ code: 0, signal: null });
  } finally {
    agent.child.kill('SIGKILL');
    await nucleus.close();
  }
}

describe('agent under Greengrass (IPC)', () => {
  it('serves a good bundle: RUNNING, inspections through PublishToIoTCore, invalid config updates rejected', async () => {
    await withNucleus('gg-good', bundle.dir, async (nucleus, work) => {
      await until(() => nucleus.states.includes('RUNNING'), 'UpdateState RUNNING', 60_000);
      await writeFile(join(work, 'camera', 'one.jpg'), stamped(bases[0] as Uint8Array, 'gg-one'));
      const inspections = () => nucleus.published.map(decode).filter((m) => m.topic === 'edgeqc/gg-good/inspections');
      await until(() => inspections().length === 1, 'an inspection published over IPC', 60_000);
      expect(inspections()[0]?.json).toMatchObject({ thingName: 'gg-good', image: { file: 'one.jpg' } });
      await until(async () => (await filesIn(join(work, 'camera'))).length === 0, 'one.jpg moved out', 30_000);
      const status = nucleus.published.map(decode).filter((m) => m.topic === 'edgeqc/gg-good/status');
      expect(status.at(-1)?.json).toMatchObject({ state: 'online', model: { sha256: bundle.manifest.model.sha256 } });
      await nucleus.waitForSubscribers('SubscribeToValidateConfigurationUpdates');
      const report = await nucleus.proposeConfiguration(
        { cameraDir: 'camera', trustedKeys: [bundle.publicKeyPem], outbox: { capacity: -1 } },
        'deployment-1',
      );
      expect(report.status).toBe('REJECTED');
      expect(report.message).toMatch(/outbox\.capacity/);
    });
  });

  it('a tampered bundle: ERRORED, degraded with the reason, an error event, and the camera folder untouched', async () => {
    const tampered = join(root, 'tampered-bundle');
    await cp(bundle.dir, tampered, { recursive: true });
    const model = await readFile(join(tampered, 'model.onnx'));
    model[model.length >> 1] = (model[model.length >> 1] as number) ^ 1;
    await writeFile(join(tampered, 'model.onnx'), model);
    await withNucleus('gg-tampered', tampered, async (nucleus, work) => {
      await writeFile(join(work, 'camera', 'waiting.jpg'), stamped(bases[1] as Uint8Array, 'gg-wait'));
      await until(() => nucleus.states.includes('ERRORED'), 'UpdateState ERRORED', 60_000);
      const published = () => nucleus.published.map(decode);
      await until(() => published().some((m) => m.topic.endsWith('/status')), 'a status', 30_000);
      const status = published()
        .filter((m) => m.topic === 'edgeqc/gg-tampered/status')
        .at(-1)?.json;
      expect(status).toMatchObject({ state: 'degraded', model: null });
      expect(String(status?.reason)).toMatch(/MODEL_HASH_MISMATCH: .*SHA-256/);
      await until(() => published().some((m) => m.topic === 'edgeqc/gg-tampered/errors'), 'an error event', 30_000);
      expect(published().find((m) => m.topic === 'edgeqc/gg-tampered/errors')?.json).toMatchObject({
        kind: 'model-rejected',
      });
      expect(nucleus.states).not.toContain('RUNNING');
      expect(await filesIn(join(work, 'camera'))).toEqual(['waiting.jpg']);
    });
  });
});
