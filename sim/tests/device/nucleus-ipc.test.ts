import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CoreDevice } from '../../src/device/core-device.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const digest = (b: Uint8Array) => createHash('sha256').update(b).digest('base64');

/** A component that uses Greengrass IPC through aws-iot-device-sdk-v2, as the agent does. */
const COMPONENT = enc(`
const { greengrasscoreipc } = require('aws-iot-device-sdk-v2');
(async () => {
  const client = greengrasscoreipc.createClient();
  await client.connect();
  const got = await client.getConfiguration({ keyPath: ['greeting'] });
  const whole = await client.getConfiguration({ keyPath: [] });
  const updates = client.subscribeToConfigurationUpdate({ keyPath: [] });
  await updates.activate();
  const validations = client.subscribeToValidateConfigurationUpdates({});
  await validations.activate();
  await client.publishToIoTCore({ topicName: 'test/' + process.env.AWS_IOT_THING_NAME, qos: '1',
    payload: Buffer.from(JSON.stringify({ got: got.value, whole: whole.value, subscribed: true })), retain: true });
  await client.updateState({ state: process.env.REPORT || 'RUNNING' });
  setInterval(() => {}, 1000);
})().catch((e) => { console.error(e); process.exit(1); });
`);

describe('simulated nucleus IPC (the SDK client against the device)', () => {
  let root: string;
  let device: CoreDevice | undefined;

  afterEach(async () => {
    await device?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('serves GetConfiguration, the configuration subscriptions, PublishToIoTCore and UpdateState; an ERRORED report fails the deployment', async () => {
    root = await mkdtemp(join(tmpdir(), 'edgeqc-ipc-'));
    const published: Array<{ topic: string; payload: string; qos: number; retain: boolean }> = [];
    const recipe = (version: string, report: string) => ({
      RecipeFormatVersion: '2020-01-25',
      ComponentName: 'com.test.Ipc',
      ComponentVersion: version,
      ComponentConfiguration: { DefaultConfiguration: { greeting: 'hi', nested: { n: 1 } } },
      Manifests: [
        {
          Lifecycle: {
            Setenv: { REPORT: report, NODE_PATH: resolve('node_modules') },
            Run: 'node {artifacts:path}/component.cjs',
          },
          Artifacts: [{ Uri: 's3://b/components/com.test.Ipc/x/component.cjs', Digest: digest(COMPONENT) }],
        },
      ],
    });
    device = new CoreDevice({
      thingName: 'ipc-1',
      root: join(root, 'dev'),
      thingGroups: ['canary'],
      catalog: {
        recipe: async (_n, v) => recipe(v, v === '1.0.0' ? 'RUNNING' : 'ERRORED'),
        versions: async () => ['1.0.0', '2.0.0'],
      },
      artifacts: { get: async () => COMPONENT },
      iotCore: {
        publish: async (r) => {
          published.push({
            topic: r.topic,
            payload: new TextDecoder().decode(r.payload),
            qos: r.qos,
            retain: r.retain,
          });
        },
      },
      timing: { settleMs: 1_500 },
    });
    const deploy = (id: string, version: string) =>
      device!.deploy({
        deploymentId: id,
        targetArn: 'arn:aws:iot:us-east-1:0:thing/ipc-1',
        components: { 'com.test.Ipc': { componentVersion: version } },
      });
    const ok = await deploy('d1', '1.0.0');
    expect(ok.coreDeviceExecutionStatus).toBe('SUCCEEDED');
    expect(published).toEqual([
      {
        topic: 'test/ipc-1',
        qos: 1,
        retain: true,
        payload: JSON.stringify({
          got: { greeting: 'hi' },
          whole: { greeting: 'hi', nested: { n: 1 } },
          subscribed: true,
        }),
      },
    ]);
    const bad = await deploy('d2', '2.0.0');
    expect(bad.coreDeviceExecutionStatus).toBe('FAILED');
    expect(bad.reason).toMatch(/com\.test\.Ipc 2\.0\.0 failed while starting: the component reported ERRORED/);
    expect(device.listInstalledComponents()[0]).toMatchObject({ componentVersion: '1.0.0', lifecycleState: 'RUNNING' });
  });
});
