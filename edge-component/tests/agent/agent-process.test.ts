/**
 * The agent binary (src/main.ts on Node 24, as the packaged main.js runs) as a child process: help,
 * --validate-config, an orderly SIGTERM, and zero loss through broker restarts and a SIGKILL.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoBundle } from '../../src/demo-model/demo-bundle.ts';
import {
  type AgentProcess,
  deviceArgs,
  filesIn,
  MAIN_TS,
  NODE,
  type RecordingBroker,
  smallBases,
  spawnAgent,
  stamped,
  startRecordingBroker,
  testBundle,
  threadNices,
  until,
} from './harness.ts';

let bundle: DemoBundle;
let broker: RecordingBroker;
let bases: Uint8Array[];
let root: string;
let keyFile: string;

beforeAll(async () => {
  [bundle, broker, bases] = await Promise.all([testBundle(), startRecordingBroker(), smallBases(96)]);
  root = await mkdtemp(join(tmpdir(), 'edgeqc-agent-process-'));
  keyFile = join(root, 'trusted.pem');
  await writeFile(keyFile, bundle.publicKeyPem);
}, 120_000);
afterAll(async () => {
  await broker?.close();
  await rm(root, { recursive: true, force: true });
});

function agentArgs(name: string, extra: string[] = []): string[] {
  const [camera, work] = [join(root, name, 'camera'), join(root, name, 'work')];
  return deviceArgs({ name, camera, work, modelDir: bundle.dir, keyFile, brokerUrl: broker.url }, extra);
}

async function runToEnd(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const { spawn } = await import('node:child_process');
  const child = spawn(NODE, [MAIN_TS, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d;
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d;
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, out, err };
}

const statusesOf = (name: string) => broker.on(`edgeqc/${name}/status`).map((m) => m.json);

describe('agent binary', () => {
  it('--help prints the usage; --validate-config exits 0 on a good configuration and 1 naming the key and value', async () => {
    const help = await runToEnd(['agent', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/usage: edgeqc agent/);
    expect(help.out).toContain('--greengrass');
    const good = await runToEnd(['agent', ...agentArgs('validate'), '--validate-config']);
    expect(good.code, good.err).toBe(0);
    expect(good.out).toMatch(/configuration valid/);
    const bad = await runToEnd(['agent', ...agentArgs('validate'), '--outbox-capacity', 'lots', '--validate-config']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/outbox\.capacity/);
    expect(bad.err).toContain('lots');
  });

  it('SIGTERM: finishes, publishes the retained offline status and exits 0', async () => {
    const name = 'sigterm';
    const agent = spawnAgent(agentArgs(name));
    try {
      await until(() => statusesOf(name).some((s) => s.state === 'online'), 'online', 60_000);
      // inference.pipelineNice (default 10): the model's thread at 0, every other thread lowered.
      const serving = /"inferenceThreadId":(\d+)/.exec(agent.stderr());
      expect(serving, 'the model serving log names its inference thread').not.toBeNull();
      const inferenceThread = Number(serving?.[1]);
      const nices = await threadNices(agent.child.pid as number);
      expect(nices.get(inferenceThread)).toBe(0);
      expect(nices.get(agent.child.pid as number)).toBe(10);
      for (const [tid, nice] of nices) if (tid !== inferenceThread) expect(nice, `thread ${tid}`).toBe(10);
      await mkdir(join(root, name, 'camera'), { recursive: true });
      await writeFile(join(root, name, 'camera', 'one.jpg'), stamped(bases[0] as Uint8Array, 'sigterm'));
      await until(() => broker.on(`edgeqc/${name}/inspections`).length === 1, 'one inspection', 60_000);
      agent.child.kill('SIGTERM');
      const exit = await agent.exited;
      expect(exit, agent.stderr().slice(-2000)).toEqual({ code: 0, signal: null });
      const last = statusesOf(name).at(-1);
      expect(last).toMatchObject({ state: 'offline', reason: 'SIGTERM' });
    } finally {
      agent.child.kill('SIGKILL');
    }
  }, 150_000); // its waits: up to 60 s for online, 60 s for the inspection (a loaded machine needs more than the default 30 s)

  it('a config file edit: an invalid one is rejected (still running), a valid one is applied by restarting the agent', async () => {
    const name = 'config-edit';
    const file = join(root, `${name}.json`);
    const base = {
      thingName: name,
      cameraDir: join(root, name, 'camera'),
      model: { dir: bundle.dir },
      trustedKeys: [bundle.publicKeyPem],
      mqtt: { url: broker.url, version: '3.1.1' },
      inference: { intraOpThreads: 1 },
      statusIntervalSec: 1,
    };
    await writeFile(file, JSON.stringify(base));
    const agent = spawnAgent(['--config', file]);
    try {
      await until(() => statusesOf(name).some((s) => s.state === 'online'), 'online', 60_000);
      await writeFile(file, JSON.stringify({ ...base, outbox: { capacity: 'lots' } }));
      await until(() => /configuration file edit rejected/.test(agent.stderr()), 'rejection logged', 30_000);
      expect(agent.stderr()).toMatch(/outbox\.capacity/);
      expect(statusesOf(name).some((s) => s.state === 'offline')).toBe(false);
      await writeFile(file, JSON.stringify({ ...base, thresholds: { defect: 0.9 } }));
      await until(() => statusesOf(name).some((s) => s.reason === 'configuration changed'), 'restart', 30_000);
      const offlineAt = statusesOf(name).findIndex((s) => s.reason === 'configuration changed');
      await until(
        () =>
          statusesOf(name)
            .slice(offlineAt)
            .some((s) => s.state === 'online'),
        'online again',
        60_000,
      );
      await mkdir(base.cameraDir, { recursive: true });
      await writeFile(join(base.cameraDir, 'after.jpg'), stamped(bases[2] as Uint8Array, 'config-edit'));
      await until(() => broker.on(`edgeqc/${name}/inspections`).length === 1, 'inspection with the new config', 60_000);
      expect(broker.on(`edgeqc/${name}/inspections`)[0]?.json.thresholds).toMatchObject({ defect: 0.9 });
    } finally {
      agent.child.kill('SIGTERM');
      await agent.exited;
    }
  }, 240_000); // two agent starts: allow for a loaded machine, as its waits do

  it('zero loss: every image yields exactly one messageId through two broker restarts and a SIGKILL', async () => {
    const name = 'zero-loss';
    // The count sets how long the agent works, not what a disruption finds: each restart and the SIGKILL
    // fall at a share of the images (20, 45, 70 %) with the rest still queued in the camera folder and
    // the outbox, whatever the total. The test's time is the count times one inference; a soak takes more
    // through EDGEQC_ZERO_LOSS_IMAGES.
    const total = Number(process.env.EDGEQC_ZERO_LOSS_IMAGES ?? 400);
    const camera = join(root, name, 'camera');
    await mkdir(camera, { recursive: true });
    const shas = new Set<string>();
    for (let i = 0; i < total; i += 1) {
      const bytes = stamped(bases[i % bases.length] as Uint8Array, `zl-${i}`);
      shas.add(createHash('sha256').update(bytes).digest('hex'));
      await writeFile(join(camera, `img-${String(i).padStart(5, '0')}.jpg`), bytes);
    }
    const inspections = () => broker.on(`edgeqc/${name}/inspections`).map((m) => m.json);
    const inspectedShas = () => new Set(inspections().map((i) => (i.image as { sha256: string }).sha256));
    const started = Date.now();
    let agent: AgentProcess = spawnAgent(agentArgs(name));
    try {
      const at = (n: number) => until(() => inspectedShas().size >= n, `${n} images inspected`, 120_000);
      await at(Math.floor(total * 0.2));
      await broker.stop();
      await new Promise((r) => setTimeout(r, 1500));
      await broker.start();
      await at(Math.floor(total * 0.45));
      agent.child.kill('SIGKILL');
      await agent.exited;
      agent = spawnAgent(agentArgs(name));
      await at(Math.floor(total * 0.7));
      await broker.stop();
      await new Promise((r) => setTimeout(r, 1500));
      await broker.start();
      await at(total);
      const byImage = new Map<string, Set<string>>();
      for (const i of inspections()) {
        const sha = (i.image as { sha256: string }).sha256;
        const ids = byImage.get(sha) ?? new Set<string>();
        ids.add(i.messageId as string);
        byImage.set(sha, ids);
      }
      expect([...byImage.keys()].sort()).toEqual([...shas].sort());
      expect([...byImage.values()].filter((ids) => ids.size !== 1)).toEqual([]);
      const duplicates = inspections().length - byImage.size;
      await until(async () => (await filesIn(camera)).length === 0, 'camera folder emptied', 30_000);
      const done = join(root, name, 'work', 'done');
      const archived = (await Promise.all((await readdir(done)).map((v) => filesIn(join(done, v))))).flat();
      expect(archived.length).toBe(total);
      console.log(
        `zero loss: ${total} images, ${duplicates} duplicate deliveries (by messageId), ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
    } finally {
      agent.child.kill('SIGTERM');
      await agent.exited;
    }
  }, 240_000);
});
