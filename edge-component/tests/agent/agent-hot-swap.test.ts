/**
 * Hot swap with the real model manager: a new signed bundle replaces the served one (folder replaced
 * by rename, as a deployment does) while images keep arriving. Every image is inspected exactly once,
 * in intake order, the old model up to the swap and the new one after it.
 */
import { cp, mkdir, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageModel } from '@edgeqc/model-component/package';
import { createPemSigner, generateDevKeyPair } from '@edgeqc/model-component/signers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAgentConfig } from '../../src/config/schema.ts';
import { InspectionSchema } from '../../src/contracts/inspection.ts';
import { silentLogger } from '../../src/log.ts';
import { createAgentRuntime } from '../../src/runtime/agent-runtime.ts';
import {
  drop,
  PROJECT_ROOT,
  type RecordingBroker,
  smallBases,
  stamped,
  startRecordingBroker,
  until,
} from './harness.ts';

const MODEL = join(PROJECT_ROOT, 'model-component', 'models', 'tag-scratch', 'model.int8.onnx');

let root: string;
let broker: RecordingBroker;
let bases: Uint8Array[];
const keys = generateDevKeyPair('ed25519');
const bundles: Record<string, string> = {};

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'edgeqc-agent-swap-'));
  [broker, bases] = await Promise.all([startRecordingBroker(), smallBases(96)]);
  const signer = createPemSigner(keys.privateKeyPem, { signerName: 'swap-test' });
  const labels = (await readFile(join(PROJECT_ROOT, 'model-component', 'models', 'tag-scratch', 'labels.txt'), 'utf8'))
    .split(/\r?\n/)
    .filter(Boolean);
  for (const version of ['1.0.0', '2.0.0']) {
    const r = await packageModel(
      { signer },
      { modelPath: MODEL, name: 'tag-scratch', version, labels, outDir: join(root, 'packaged') },
    );
    bundles[version] = r.bundleDir;
  }
}, 120_000);
afterAll(async () => {
  await broker?.close();
  await rm(root, { recursive: true, force: true });
});

describe('hot swap', () => {
  it('switches models between two images: nothing lost, nothing inspected twice, order kept', async () => {
    const modelDir = join(root, 'model');
    await cp(bundles['1.0.0'] as string, modelDir, { recursive: true });
    const cameraDir = join(root, 'camera');
    await mkdir(cameraDir, { recursive: true });
    const runtime = await createAgentRuntime(
      parseAgentConfig({
        thingName: 'swap-1',
        cameraDir,
        model: { dir: modelDir },
        trustedKeys: [keys.publicKeyPem],
        mqtt: { url: broker.url, version: '3.1.1' },
        inference: { intraOpThreads: 1, inFlight: 3 },
        statusIntervalSec: 1,
      }),
      { log: silentLogger() },
    );
    const inspections = () => broker.on('edgeqc/swap-1/inspections').map((m) => InspectionSchema.parse(m.json));
    try {
      // Images keep arriving before, during and after the swap: 8 inspected with the old model, then the
      // new version is deployed, and images go on landing until the new model has served some (on a
      // loaded machine loading it may take longer than any fixed number of images).
      let dropped = 0;
      const dropOne = async () => {
        const name = `s-${String(dropped).padStart(3, '0')}.jpg`;
        await drop(cameraDir, name, stamped(bases[dropped % bases.length] as Uint8Array, name));
        dropped += 1;
        await new Promise((r) => setTimeout(r, 40));
      };
      while (dropped < 12) await dropOne();
      await until(() => inspections().length >= 8, '8 inspections with the first model', 30_000);
      // As a deployment does: the new version's folder appears, then takes the old one's place.
      await cp(bundles['2.0.0'] as string, `${modelDir}.new`, { recursive: true });
      await rename(modelDir, `${modelDir}.old`);
      await rename(`${modelDir}.new`, modelDir);
      let after = 0;
      while (after < 10) {
        expect(
          dropped,
          `the new model never served an image: ${inspections().length} inspected, ${JSON.stringify(runtime.agent.status())}`,
        ).toBeLessThan(400);
        await dropOne();
        if (inspections().some((i) => i.model.version === '2.0.0')) after += 1;
      }
      const total = dropped;
      await until(() => inspections().length >= total, `${total} inspections`, 60_000);
      const list = inspections();
      expect(list).toHaveLength(total);
      expect(new Set(list.map((i) => i.image.sha256)).size).toBe(total);
      expect(new Set(list.map((i) => i.messageId)).size).toBe(total);
      const versions = list.map((i) => i.model.version);
      expect(versions).toContain('1.0.0');
      expect(versions).toContain('2.0.0');
      // Once the new model served an image, the old one serves none after it.
      expect(versions.slice(versions.indexOf('2.0.0'))).not.toContain('1.0.0');
      await until(() => runtime.agent.status().model?.version === '2.0.0', 'status names the new model');
    } finally {
      await runtime.stop('test over');
    }
  });
});
