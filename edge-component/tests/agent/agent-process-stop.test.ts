/**
 * The agent binary (src/main.ts on Node 24) stops within its deadline whatever the broker does: with
 * no broker at all (a port nobody listens on) and with a real Mosquitto killed while the agent is
 * connected, and with a "broker" that accepts TCP and never answers. The test waits for the agent to
 * run, sends SIGTERM and expects the process gone within a generous bound (the agent's own stop
 * deadline is 19 s; the bound leaves room for a loaded machine), with exit code 0 (an orderly stop).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoBundle } from '../../src/demo-model/demo-bundle.ts';
import { freePort, startMosquitto } from '../support/mosquitto.ts';
import { spawnAgent, testBundle, until } from './harness.ts';

/** SIGTERM to exit: the agent's deadline (19 s) plus room for a loaded machine. */
const EXIT_BOUND_MS = 30_000;

let bundle: DemoBundle;
let root: string;
let keyFile: string;

beforeAll(async () => {
  bundle = await testBundle();
  root = await mkdtemp(join(tmpdir(), 'edgeqc-agent-stop-'));
  keyFile = join(root, 'trusted.pem');
  await writeFile(keyFile, bundle.publicKeyPem);
}, 120_000);
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function agentArgs(name: string, url: string, version: '5' | '3.1.1'): string[] {
  return [
    ...['--thing-name', name, '--camera-dir', join(root, name, 'camera'), '--work-dir', join(root, name, 'work')],
    ...['--model', bundle.dir, '--trusted-key', keyFile, '--mqtt-url', url, '--mqtt-version', version],
    ...['--inference-intra-op-threads', '1', '--status-interval-sec', '1'],
  ];
}

async function stopsInTime(
  name: string,
  url: string,
  version: '5' | '3.1.1',
  before?: () => Promise<void>,
  ready: RegExp = /"msg":"model serving"/,
) {
  const agent = spawnAgent(agentArgs(name, url, version));
  try {
    await until(() => ready.test(agent.stderr()), String(ready), 90_000).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${agent.stderr().slice(-3000)}`);
    });
    await before?.();
    const sent = Date.now();
    agent.child.kill('SIGTERM');
    const exit = await Promise.race([
      agent.exited,
      new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), EXIT_BOUND_MS)),
    ]);
    const tookMs = Date.now() - sent;
    expect(exit, `${tookMs} ms after SIGTERM\n${agent.stderr().slice(-3000)}`).not.toBe('still running');
    console.log(`${name}: exit ${JSON.stringify(exit)} ${tookMs} ms after SIGTERM`);
    return { exit, tookMs };
  } finally {
    agent.child.kill('SIGKILL');
  }
}

/** A "broker" that accepts TCP connections and never answers (a hung broker, a black hole behind a proxy). */
async function startSilentBroker(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return {
    url: `mqtt://127.0.0.1:${address.port}`,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('agent binary: a stop ends the process whatever the broker does', () => {
  it('MQTT 5, no broker listening on the port: exits within the bound after SIGTERM', async () => {
    const port = await freePort();
    const { exit } = await stopsInTime('stop-no-broker-5', `mqtt://127.0.0.1:${port}`, '5');
    expect(exit).toEqual({ code: 0, signal: null });
  }, 150_000);

  it('MQTT 3.1.1, no broker listening on the port: exits within the bound after SIGTERM', async () => {
    const port = await freePort();
    const { exit } = await stopsInTime('stop-no-broker-311', `mqtt://127.0.0.1:${port}`, '3.1.1');
    expect(exit).toEqual({ code: 0, signal: null });
  }, 150_000);

  it('MQTT 5, a real Mosquitto killed while the agent is connected: exits within the bound after SIGTERM', async () => {
    const broker = await startMosquitto();
    try {
      const { exit } = await stopsInTime('stop-broker-killed', broker.url, '5', () => broker.kill());
      expect(exit).toEqual({ code: 0, signal: null });
    } finally {
      await broker.stop();
    }
  }, 150_000);

  for (const version of ['5', '3.1.1'] as const) {
    it(`MQTT ${version}, a broker that accepts the connection and never answers: exits within the bound after SIGTERM`, async () => {
      const silent = await startSilentBroker();
      try {
        // Whatever the start-up is waiting for (the CONNACK never comes), SIGTERM ends the process in
        // order: the publishers' close waits for a pending connect and the disconnect 3 s at most each.
        const { exit } = await stopsInTime(
          `stop-silent-${version.replaceAll('.', '')}`,
          silent.url,
          version,
          undefined,
          /"msg":"starting"/,
        );
        expect(exit).toEqual({ code: 0, signal: null });
      } finally {
        await silent.close();
      }
    }, 150_000);
  }
});
