/**
 * Real file faults in the camera folder of the real agent binary (src/main.ts on Node 24, as a child
 * process, the demo model, an embedded Aedes broker): a sparse 4 GiB file ending in FF D9, a symbolic
 * link, a FIFO, and hard links. Each is quarantined (or inspected once) and the process keeps running.
 */
import { execFileSync } from 'node:child_process';
import { link, lstat, mkdir, mkdtemp, open, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoBundle } from '../../src/demo-model/demo-bundle.ts';
import {
  type AgentProcess,
  deviceArgs,
  type RecordingBroker,
  smallBases,
  spawnAgent,
  stamped,
  startRecordingBroker,
  testBundle,
  until,
} from '../agent/harness.ts';

let bundle: DemoBundle;
let broker: RecordingBroker;
let bases: Uint8Array[];
let root: string;
let keyFile: string;

beforeAll(async () => {
  [bundle, broker, bases] = await Promise.all([testBundle(), startRecordingBroker(), smallBases(96)]);
  root = await mkdtemp(join(tmpdir(), 'edgeqc-file-faults-'));
  keyFile = join(root, 'trusted.pem');
  await writeFile(keyFile, bundle.publicKeyPem);
}, 120_000);
afterAll(async () => {
  await broker?.close();
  await rm(root, { recursive: true, force: true });
});

function startAgent(name: string): { agent: AgentProcess; camera: string; work: string } {
  const camera = join(root, name, 'camera');
  const work = join(root, name, 'work');
  const agent = spawnAgent(deviceArgs({ name, camera, work, modelDir: bundle.dir, keyFile, brokerUrl: broker.url }));
  return { agent, camera, work };
}

const errorsOf = (name: string) => broker.on(`edgeqc/${name}/errors`).map((m) => m.json);
const inspectionsOf = (name: string) => broker.on(`edgeqc/${name}/inspections`).map((m) => m.json);
const namesIn = async (dir: string) => (await readdir(dir).catch(() => [] as string[])).sort();

async function stopAgent(agent: AgentProcess): Promise<void> {
  if (agent.child.exitCode === null) agent.child.kill('SIGTERM');
  await agent.exited;
}

describe('the agent binary under file faults', () => {
  it('quarantines a sparse 4 GiB file ending in FF D9 by its size, without reading it, and keeps running', async () => {
    const name = 'sparse';
    const { agent, camera, work } = startAgent(name);
    try {
      await mkdir(camera, { recursive: true });
      // A sparse file: 4 GiB long, a JPEG start and end, nothing in between on disk.
      const big = await open(join(camera, 'huge.jpg'), 'w');
      await big.write(Uint8Array.of(0xff, 0xd8, 0xff, 0xe0), 0, 4, 0);
      await big.truncate(4 * 1024 ** 3);
      await big.write(Uint8Array.of(0xff, 0xd9), 0, 2, 4 * 1024 ** 3 - 2);
      await big.close();
      await until(() => errorsOf(name).some((e) => e.code === 'IMAGE_TOO_LARGE'), 'IMAGE_TOO_LARGE on /errors', 60_000);
      await until(async () => (await namesIn(join(work, 'quarantine'))).includes('huge.jpg.reason.json'), 'moved');
      const reason = JSON.parse(await readFile(join(work, 'quarantine', 'huge.jpg.reason.json'), 'utf8'));
      expect(reason.code).toBe('IMAGE_TOO_LARGE');
      expect(reason.message).toContain(String(4 * 1024 ** 3));
      // Still alive and inspecting.
      await writeFile(join(camera, 'after.jpg'), stamped(bases[0] as Uint8Array, 'after-sparse'));
      await until(() => inspectionsOf(name).length === 1, 'the next image inspected', 60_000);
      expect(agent.child.exitCode, agent.stderr().slice(-2000)).toBeNull();
      expect(agent.stderr()).not.toMatch(/IsInt32|Assertion failed/);
    } finally {
      await stopAgent(agent);
    }
  }, 180_000);

  it('quarantines a symbolic link and a FIFO as IMAGE_NOT_REGULAR_FILE without following or opening them', async () => {
    const name = 'links';
    const { agent, camera, work } = startAgent(name);
    try {
      await mkdir(camera, { recursive: true });
      const outside = join(root, name, 'outside.jpg');
      const outsideBytes = stamped(bases[1] as Uint8Array, 'outside');
      await writeFile(outside, outsideBytes);
      await symlink(outside, join(camera, 'link.jpg'));
      execFileSync('mkfifo', [join(camera, 'pipe.jpg')]);
      await until(
        () => errorsOf(name).filter((e) => e.code === 'IMAGE_NOT_REGULAR_FILE').length === 2,
        'two IMAGE_NOT_REGULAR_FILE on /errors',
        60_000,
      );
      await until(async () => (await namesIn(join(work, 'quarantine'))).includes('pipe.jpg.reason.json'), 'moved');
      const quarantined = await namesIn(join(work, 'quarantine'));
      expect(quarantined).toEqual(['link.jpg', 'link.jpg.reason.json', 'pipe.jpg', 'pipe.jpg.reason.json']);
      expect((await lstat(join(work, 'quarantine', 'link.jpg'))).isSymbolicLink()).toBe(true);
      expect((await lstat(join(work, 'quarantine', 'pipe.jpg'))).isFIFO()).toBe(true);
      const messages = errorsOf(name).map((e) => String(e.message));
      expect(messages.some((m) => m.includes('a symbolic link'))).toBe(true);
      expect(messages.some((m) => m.includes('a FIFO'))).toBe(true);
      // The link's target is untouched and was never inspected.
      expect((await readFile(outside)).equals(outsideBytes)).toBe(true);
      expect(inspectionsOf(name)).toHaveLength(0);
      await writeFile(join(camera, 'after.jpg'), stamped(bases[0] as Uint8Array, 'after-links'));
      await until(() => inspectionsOf(name).length === 1, 'the next image inspected', 60_000);
      expect(agent.child.exitCode).toBeNull();
    } finally {
      await stopAgent(agent);
    }
  }, 180_000);

  it('hard links: inspected once as a regular file, the second name in the folder is a duplicate, a link outside is untouched', async () => {
    const name = 'hardlinks';
    const { agent, camera, work } = startAgent(name);
    try {
      await mkdir(camera, { recursive: true });
      const keep = join(root, name, 'camera-keeps.jpg');
      await writeFile(keep, stamped(bases[2] as Uint8Array, 'hard'));
      await link(keep, join(camera, 'a.jpg'));
      await until(() => inspectionsOf(name).length === 1, 'a.jpg inspected', 60_000);
      await link(keep, join(camera, 'b.jpg'));
      await until(() => errorsOf(name).some((e) => e.code === 'IMAGE_DUPLICATE'), 'b.jpg a duplicate', 60_000);
      await until(async () => (await namesIn(camera)).length === 0, 'camera folder empty');
      expect(inspectionsOf(name)).toHaveLength(1);
      expect((await lstat(keep)).nlink).toBe(3); // the outside name, done/<verdict>/a.jpg, quarantine/b.jpg
      // The reason file is written after the image is moved: wait for it rather than race it.
      await until(
        async () => (await namesIn(join(work, 'quarantine'))).includes('b.jpg.reason.json'),
        'b.jpg and its reason in quarantine',
      );
      expect(await namesIn(join(work, 'quarantine'))).toEqual(['b.jpg', 'b.jpg.reason.json']);
    } finally {
      await stopAgent(agent);
    }
  }, 180_000);
});
