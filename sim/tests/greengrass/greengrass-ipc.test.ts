/**
 * The agent's Greengrass IPC adapters (edge-component) with the unmodified SDK client against the
 * simulated nucleus's IPC server, started standalone for one component.
 */
import { createIpcConfigSource } from '@edgeqc/edge-component/adapters/greengrass-ipc/ipc-config-source';
import { createIpcLifecycleReporter } from '@edgeqc/edge-component/adapters/greengrass-ipc/ipc-lifecycle-reporter';
import { createIpcPublisher } from '@edgeqc/edge-component/adapters/greengrass-ipc/ipc-publisher';
import {
  createGreengrassIpcSession,
  type GreengrassIpcSession,
} from '@edgeqc/edge-component/adapters/greengrass-ipc/ipc-session';
import { afterEach, describe, expect, it } from 'vitest';
import { type StandaloneNucleus, startStandaloneNucleus } from '../../src/device/ipc/standalone-nucleus.ts';

const ENV_KEYS = ['AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT', 'SVCUID'] as const;
const saved = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  for (const k of ENV_KEYS) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

/** A standalone nucleus, and the component's environment pointing at it (as the nucleus sets it). */
async function nucleus(
  configuration: Record<string, unknown> = {},
): Promise<{ n: StandaloneNucleus; session: GreengrassIpcSession }> {
  const n = await startStandaloneNucleus({ configuration });
  cleanups.push(() => n.close());
  Object.assign(process.env, n.env);
  const session = createGreengrassIpcSession();
  cleanups.push(() => session.close());
  return { n, session };
}

/** What ConfigSource.watch is given (the port's types are the edge-component's own). */
type ConfigWatch = Parameters<ReturnType<typeof createIpcConfigSource>['watch']>[0];

const bytes = (s: string) => new TextEncoder().encode(s);

describe('Greengrass IPC adapters against the simulated nucleus (unmodified SDK client)', () => {
  it('publishes to IoT Core at QoS 1 with payload bytes, topic and retain intact', async () => {
    const { n, session } = await nucleus();
    const pub = createIpcPublisher(session);
    await pub.connect();
    expect(pub.isConnected()).toBe(true);
    const payload = new Uint8Array([0, 1, 2, 250, 255, ...bytes('{"a":1}')]);
    await pub.publish({ topic: 'edgeqc/dev/inspections', payload, qos: 1 });
    await pub.close({ topic: 'edgeqc/dev/status', payload: bytes('offline'), qos: 1, retain: true });
    expect(n.published).toEqual([
      { topicName: 'edgeqc/dev/inspections', qos: 1, payload, retain: false },
      { topicName: 'edgeqc/dev/status', qos: 1, payload: bytes('offline'), retain: true },
    ]);
    await expect(pub.publish({ topic: 't', payload, qos: 1 })).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('rejects a publish the nucleus refuses, and the next one goes through', async () => {
    const { n, session } = await nucleus();
    const pub = createIpcPublisher(session);
    await pub.connect();
    n.failNextPublishes(1);
    await expect(pub.publish({ topic: 'a', payload: bytes('1'), qos: 1 })).rejects.toMatchObject({
      name: 'PublishError',
      code: 'PUBLISH_FAILED',
    });
    await pub.publish({ topic: 'a', payload: bytes('2'), qos: 1 });
    expect(n.published.map((p) => new TextDecoder().decode(p.payload))).toEqual(['2']);
  });

  it('connects a new client after the nucleus dropped the connection', async () => {
    const { n, session } = await nucleus();
    const pub = createIpcPublisher(session);
    await pub.connect();
    await pub.publish({ topic: 'a', payload: bytes('before'), qos: 1 });
    n.dropConnections();
    await expect.poll(() => pub.isConnected(), { timeout: 20_000 }).toBe(false);
    await pub.publish({ topic: 'a', payload: bytes('after'), qos: 1 });
    expect(n.published.map((p) => new TextDecoder().decode(p.payload))).toEqual(['before', 'after']);
  });

  it('is refused with a wrong SVCUID token', async () => {
    const { session } = await nucleus();
    process.env.SVCUID = 'not-the-token';
    await expect(createIpcPublisher(session).connect()).rejects.toMatchObject({ code: 'CONNECT_FAILED' });
  });

  it('says clearly when not running under Greengrass', async () => {
    delete process.env.AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT;
    const session = createGreengrassIpcSession();
    await expect(createIpcPublisher(session).connect()).rejects.toThrow(
      /AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT/,
    );
  });

  it('reports lifecycle states with UpdateState', async () => {
    const { n, session } = await nucleus();
    const reporter = createIpcLifecycleReporter(session);
    await reporter.report('RUNNING');
    await reporter.report('ERRORED');
    expect(n.states).toEqual(['RUNNING', 'ERRORED']);
  });

  it('loads the configuration, rejects an invalid proposed update, and applies a valid one', async () => {
    const { n, session } = await nucleus({ thingName: 'dev-1', thresholds: { defect: 0.5 } });
    const source = createIpcConfigSource(session);
    expect(await source.load()).toEqual({ thingName: 'dev-1', thresholds: { defect: 0.5 } });

    const changes: unknown[] = [];
    const validate: ConfigWatch['validate'] = (raw) => {
      const defect = (raw as { thresholds?: { defect?: unknown } }).thresholds?.defect;
      return typeof defect === 'number' && defect >= 0 && defect <= 1
        ? { accepted: true }
        : { accepted: false, reason: `thresholds.defect: expected a number in [0, 1], got ${JSON.stringify(defect)}` };
    };
    const stop = await source.watch({ validate, onChange: (raw) => changes.push(raw) });
    await n.waitForSubscribers('SubscribeToValidateConfigurationUpdates');
    await n.waitForSubscribers('SubscribeToConfigurationUpdate');

    const bad = await n.proposeConfiguration({ thingName: 'dev-1', thresholds: { defect: 7 } }, 'deployment-bad');
    expect(bad).toEqual({
      deploymentId: 'deployment-bad',
      status: 'REJECTED',
      message: 'thresholds.defect: expected a number in [0, 1], got 7',
    });
    const good = await n.proposeConfiguration({ thingName: 'dev-1', thresholds: { defect: 0.6 } }, 'deployment-good');
    expect(good).toEqual({ deploymentId: 'deployment-good', status: 'ACCEPTED' });

    n.updateConfiguration({ thingName: 'dev-1', thresholds: { defect: 0.6 } });
    await expect.poll(() => changes).toEqual([{ thingName: 'dev-1', thresholds: { defect: 0.6 } }]);
    await stop();
    expect(n.operations).toContain('GetConfiguration');
  });
});
