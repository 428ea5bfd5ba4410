import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeZip } from '@edgeqc/edge-component/packaging';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CoreDevice, type HealthVerdict } from '../../src/device/core-device.ts';

const digest = (b: Uint8Array) => createHash('sha256').update(b).digest('base64');
const enc = (s: string) => new TextEncoder().encode(s);

/** A Run script that writes what it saw to out.json in its work folder, then keeps running (or exits with EXIT). */
const APP = enc(`
import { writeFileSync, readFileSync } from 'node:fs';
const [dataPath, unzipped, greeting, thing] = process.argv.slice(2);
writeFileSync('out.json', JSON.stringify({ dataPath, data: readFileSync(dataPath + '/data.txt', 'utf8'),
  zipped: readFileSync(unzipped + '/bundle/inner.txt', 'utf8'), greeting, thing, envThing: process.env.AWS_IOT_THING_NAME,
  mode: process.env.APP_MODE }));
if (process.env.EXIT) process.exit(Number(process.env.EXIT));
process.on('SIGTERM', () => { writeFileSync('stopped', 'yes'); process.exit(0); });
setInterval(() => {}, 1000);
`);

describe('CoreDevice (simulated Greengrass core device)', () => {
  let root: string;
  let store: Map<string, Uint8Array>;
  let recipes: Map<string, unknown>;
  let device: CoreDevice;
  let health: HealthVerdict;

  const uri = (c: string, v: string, f: string) => `s3://test-bucket/components/${c}/${v}/${f}`;

  async function addData(version: string, text: string): Promise<void> {
    const data = enc(text);
    const zipPath = join(root, `bundle-${version}.zip`);
    await writeZip(zipPath, [{ name: 'inner.txt', data: enc(`inner ${version}`) }]);
    const zip = await readFile(zipPath);
    store.set(uri('com.test.Data', version, 'data.txt'), data);
    store.set(uri('com.test.Data', version, 'bundle.zip'), zip);
    recipes.set(`com.test.Data@${version}`, {
      RecipeFormatVersion: '2020-01-25',
      ComponentName: 'com.test.Data',
      ComponentVersion: version,
      ComponentConfiguration: { DefaultConfiguration: { label: `data ${version}` } },
      Manifests: [
        {
          Platform: { os: 'linux' },
          Lifecycle: {},
          Artifacts: [
            { Uri: uri('com.test.Data', version, 'data.txt'), Digest: digest(data), Algorithm: 'SHA-256' },
            { Uri: uri('com.test.Data', version, 'bundle.zip'), Digest: digest(zip), Unarchive: 'ZIP' },
          ],
        },
      ],
    });
  }

  function addApp(version: string, env: Record<string, string> = {}): void {
    store.set(uri('com.test.App', version, 'app.mjs'), APP);
    recipes.set(`com.test.App@${version}`, {
      RecipeFormatVersion: '2020-01-25',
      ComponentName: 'com.test.App',
      ComponentVersion: version,
      ComponentConfiguration: { DefaultConfiguration: { greeting: 'hello', nested: { a: 1 } } },
      ComponentDependencies: { 'com.test.Data': { VersionRequirement: '>=1.0.0 <3.0.0', DependencyType: 'HARD' } },
      Manifests: [
        {
          Platform: { os: 'linux' },
          Lifecycle: {
            Setenv: { APP_MODE: '{configuration:/nested}', ...env },
            Run: 'node {artifacts:path}/app.mjs {com.test.Data:artifacts:path} {com.test.Data:artifacts:decompressedPath} {configuration:/greeting} {iot:thingName}',
          },
          Artifacts: [{ Uri: uri('com.test.App', version, 'app.mjs'), Digest: digest(APP) }],
        },
      ],
    });
  }

  const versionsOf = () =>
    Object.fromEntries(device.listInstalledComponents().map((c) => [c.componentName, c.componentVersion]));
  // The app writes out.json once it runs, which may come a little after the deployment reports RUNNING:
  // read it through expect.poll (null until it is there).
  const out = async (): Promise<Record<string, unknown> | null> =>
    JSON.parse(await readFile(join(root, 'dev', 'work', 'com.test.App', 'out.json'), 'utf8').catch(() => 'null'));
  const deployApp = (
    id: string,
    app: string,
    data?: string,
    configurationUpdate?: { merge?: string; reset?: string[] },
  ) =>
    device.deploy({
      deploymentId: id,
      targetArn: 'arn:aws:iot:us-east-1:000000000000:thinggroup/canary',
      components: {
        'com.test.App': { componentVersion: app, configurationUpdate },
        ...(data ? { 'com.test.Data': { componentVersion: data } } : {}),
      },
    });

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'edgeqc-device-'));
    store = new Map();
    recipes = new Map();
    health = { state: 'healthy' };
    await addData('1.0.0', 'one');
    await addData('2.0.0', 'two');
    addApp('1.0.0');
    device = new CoreDevice({
      thingName: 'dev-1',
      root: join(root, 'dev'),
      thingGroups: ['canary'],
      catalog: {
        recipe: async (n, v) => {
          const r = recipes.get(`${n}@${v}`);
          if (!r) throw new Error(`no recipe ${n}@${v}`);
          return r;
        },
        versions: async (n) => [...recipes.keys()].filter((k) => k.startsWith(`${n}@`)).map((k) => k.split('@')[1]!),
      },
      artifacts: {
        get: async (u) => {
          const b = store.get(u);
          if (!b) throw new Error(`no artifact ${u}`);
          return b;
        },
      },
      health: async () => health,
      timing: { settleMs: 300, healthTimeoutMs: 2_000, healthPollMs: 50, shutdownGraceMs: 2_000 },
    });
  });

  afterEach(async () => {
    await device.close();
    await rm(root, { recursive: true, force: true });
  });

  it('resolves the newest catalog version of a dependency, fetches, unzips, resolves variables and runs', async () => {
    const status = await deployApp('d1', '1.0.0');
    expect(status.coreDeviceExecutionStatus).toBe('SUCCEEDED');
    expect(versionsOf()).toEqual({ 'com.test.App': '1.0.0', 'com.test.Data': '2.0.0' });
    await expect.poll(out, { timeout: 30_000 }).not.toBeNull();
    const seen = await out();
    expect(seen).toMatchObject({
      dataPath: join(root, 'dev', 'packages', 'artifacts', 'com.test.Data', '2.0.0'),
      data: 'two',
      zipped: 'inner 2.0.0',
      greeting: 'hello',
      thing: 'dev-1',
      envThing: 'dev-1',
      mode: '{"a":1}',
    });
    const installed = device.listInstalledComponents().find((c) => c.componentName === 'com.test.App');
    expect(installed).toMatchObject({ lifecycleState: 'RUNNING', isRoot: true });
  });

  it('merges and resets configuration across deployments', async () => {
    await deployApp('d1', '1.0.0', '1.0.0', { merge: JSON.stringify({ greeting: 'bonjour', nested: { b: 2 } }) });
    await expect
      .poll(out, { timeout: 30_000 })
      .toMatchObject({ greeting: 'bonjour', mode: '{"a":1,"b":2}', data: 'one' });
    await deployApp('d2', '1.0.0', '1.0.0', { reset: ['/greeting'] });
    await expect.poll(out, { timeout: 30_000 }).toMatchObject({ greeting: 'hello', mode: '{"a":1,"b":2}' });
    expect(device.listEffectiveDeployments().map((d) => d.coreDeviceExecutionStatus)).toEqual([
      'SUCCEEDED',
      'SUCCEEDED',
    ]);
  });

  it('restarts the dependent when its hard dependency changes version, stopping it with SIGTERM first', async () => {
    await deployApp('d1', '1.0.0', '1.0.0');
    await expect.poll(async () => (await out())?.data, { timeout: 30_000 }).toBe('one');
    await deployApp('d2', '1.0.0', '2.0.0');
    await expect.poll(async () => (await out())?.data, { timeout: 30_000 }).toBe('two');
    expect(await readFile(join(root, 'dev', 'work', 'com.test.App', 'stopped'), 'utf8')).toBe('yes');
  });

  it('fails a deployment whose component exits while starting, and rolls back to the previous components', async () => {
    await deployApp('d1', '1.0.0', '1.0.0');
    addApp('2.0.0', { EXIT: '3' });
    const status = await deployApp('d2', '2.0.0', '2.0.0');
    expect(status.coreDeviceExecutionStatus).toBe('FAILED');
    expect(status.reason).toMatch(/com\.test\.App 2\.0\.0 failed while starting: run script exited with code 3/);
    expect(status.reason).toMatch(/rolled back/);
    expect(status.statusDetails?.errorStack).toEqual(['DEPLOYMENT_FAILURE', 'COMPONENT_ERRORED', 'ROLLED_BACK']);
    expect(versionsOf()).toEqual({ 'com.test.App': '1.0.0', 'com.test.Data': '1.0.0' });
    await expect.poll(async () => (await out())?.data, { timeout: 30_000 }).toBe('one');
    expect(device.listInstalledComponents().find((c) => c.componentName === 'com.test.App')?.lifecycleState).toBe(
      'RUNNING',
    );
  });

  it('refuses an artifact whose bytes do not match the recipe digest, without touching what runs', async () => {
    await deployApp('d1', '1.0.0', '1.0.0');
    store.set(uri('com.test.Data', '2.0.0', 'data.txt'), enc('tampered'));
    const status = await deployApp('d2', '1.0.0', '2.0.0');
    expect(status.coreDeviceExecutionStatus).toBe('FAILED');
    expect(status.statusDetails?.errorStack).toEqual(['DEPLOYMENT_FAILURE', 'ARTIFACT_CHECKSUM_MISMATCH']);
    expect(status.reason).toMatch(/data\.txt has SHA-256 .* its recipe says/);
    expect(versionsOf()).toEqual({ 'com.test.App': '1.0.0', 'com.test.Data': '1.0.0' });
  });

  it('has written its last nucleus log line when close() returns (nothing writes into its folder after)', async () => {
    await deployApp('d1', '1.0.0', '1.0.0');
    await device.close();
    const log = await readFile(join(root, 'dev', 'logs', 'greengrass.log'), 'utf8');
    expect(log.trimEnd().split('\n').at(-1)).toMatch(/com\.test\.(App|Data) 1\.0\.0 FINISHED: stopped$/);
  });

  it('rolls back when the health probe calls the new component unhealthy', async () => {
    await deployApp('d1', '1.0.0', '1.0.0');
    health = { state: 'unhealthy', reason: 'self-test failed: 2 of 3 images' };
    const status = await deployApp('d2', '1.0.0', '2.0.0');
    expect(status.coreDeviceExecutionStatus).toBe('FAILED');
    expect(status.reason).toMatch(/reports unhealthy: self-test failed: 2 of 3 images/);
    expect(versionsOf()).toEqual({ 'com.test.App': '1.0.0', 'com.test.Data': '1.0.0' });
  });

  it('fails a deployment whose dependency requirement no catalog version meets', async () => {
    const status = await deployApp('d1', '1.0.0', '3.0.0'.replace('3', '9'));
    expect(status.coreDeviceExecutionStatus).toBe('FAILED');
    expect(status.reason).toMatch(/no recipe com\.test\.Data@9\.0\.0/);
    expect(device.listInstalledComponents()).toEqual([]);
  });
});
