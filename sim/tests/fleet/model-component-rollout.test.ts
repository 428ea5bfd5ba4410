import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageModel } from '@edgeqc/model-component/package';
import { createPemSigner, generateDevKeyPair } from '@edgeqc/model-component/signers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../../src/adapters/local-artifact-store.ts';
import { LocalComponentCatalog } from '../../src/adapters/local-component-catalog.ts';
import { LocalFleet } from '../../src/adapters/local-fleet.ts';
import { CoreDevice } from '../../src/device/core-device.ts';
import { publishPackagingOutput } from '../../src/fleet/publish-components.ts';
import { DEMO_MODEL_DIR } from '../../src/project-root.ts';

const MODEL = join(DEMO_MODEL_DIR, 'model.int8.onnx');
const COMPONENT = 'com.edgeqc.Model.tag-scratch';
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('a real model component (package-model output) through the local catalog and fleet', () => {
  let root: string;
  let fleet: LocalFleet;
  let store: LocalArtifactStore;
  let catalog: LocalComponentCatalog;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'edgeqc-fleet-'));
    store = new LocalArtifactStore(join(root, 'store'));
    catalog = new LocalComponentCatalog(join(root, 'catalog'), store);
    const signer = createPemSigner(generateDevKeyPair('ed25519').privateKeyPem);
    for (const version of ['1.0.0', '2.0.0']) {
      await packageModel({ signer }, { modelPath: MODEL, name: 'tag-scratch', version, outDir: join(root, 'out') });
    }
    const made = await publishPackagingOutput(store, catalog, join(root, 'out'));
    expect(made.map((c) => [c.componentVersion, c.state])).toEqual([
      ['1.0.0', 'DEPLOYABLE'],
      ['2.0.0', 'DEPLOYABLE'],
    ]);
    const device = (thingName: string, group: string) =>
      new CoreDevice({
        thingName,
        thingGroups: [group],
        root: join(root, 'devices', thingName),
        catalog,
        artifacts: store,
        timing: { settleMs: 10 },
      });
    fleet = new LocalFleet([device('canary-1', 'canary'), device('line-1', 'fleet'), device('line-2', 'fleet')]);
  }, 60_000);

  afterAll(async () => {
    await fleet?.close();
    await rm(root, { recursive: true, force: true });
  });

  const deploy = (group: string, version: string) =>
    fleet.createDeployment({
      targetArn: fleet.thingGroupArn(group),
      deploymentName: `${group}-${version}`,
      components: { [COMPONENT]: { componentVersion: version } },
    });

  it('puts the signed bundle under packages/artifacts on every device of the group, and only there', async () => {
    const { deploymentId } = deploy('fleet', '1.0.0');
    const statuses = await fleet.settled(deploymentId);
    expect(statuses.map((s) => s.coreDeviceExecutionStatus)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    for (const thing of ['line-1', 'line-2']) {
      const dir = join(root, 'devices', thing, 'packages', 'artifacts', COMPONENT, '1.0.0');
      expect(sha256(await readFile(join(dir, 'model.onnx')))).toBe(sha256(await readFile(MODEL)));
      const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
      expect(manifest).toMatchObject({ name: 'tag-scratch', version: '1.0.0' });
      expect(fleet.listInstalledComponents(thing)).toEqual([
        expect.objectContaining({ componentName: COMPONENT, componentVersion: '1.0.0', lifecycleState: 'FINISHED' }),
      ]);
    }
    expect(fleet.listInstalledComponents('canary-1')).toEqual([]);
    expect(fleet.getDeployment(deploymentId)).toMatchObject({ deploymentStatus: 'ACTIVE', isLatestForTarget: true });
  });

  it('a tampered artifact in the store fails the download digest check; the device keeps its version', async () => {
    await deploy('canary', '1.0.0');
    const uri = `s3://edgeqc-artifacts/components/${COMPONENT}/2.0.0/model.onnx`;
    const bytes = Buffer.from(await store.get(uri));
    bytes[bytes.length - 100] = (bytes[bytes.length - 100] ?? 0) ^ 0xff;
    await writeFile(store.pathOf(uri), bytes);
    const { deploymentId } = deploy('canary', '2.0.0');
    const [status] = await fleet.settled(deploymentId);
    expect(status).toMatchObject({ coreDeviceExecutionStatus: 'FAILED' });
    expect(status!.reason).toMatch(/model\.onnx has SHA-256 .*, its recipe says/);
    expect(fleet.listInstalledComponents('canary-1')[0]).toMatchObject({ componentVersion: '1.0.0' });
    expect(fleet.listEffectiveDeployments('canary-1').map((d) => d.coreDeviceExecutionStatus)).toEqual([
      'FAILED',
      'SUCCEEDED',
    ]);
  });
});
