/**
 * A full disk, for real: the agent binary's work folder (outbox, seen index, done/, quarantine/) on a
 * small tmpfs (8 MiB) mounted by the test. Filled up, the agent reports degraded with the reason and
 * takes no camera file; freed, it resumes and every image is inspected exactly once, none lost.
 * Needs root (to mount); CI runs as root. Without root the test fails, saying so: it never skips.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, open, readdir, rm, statfs, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoBundle } from '../../src/demo-model/demo-bundle.ts';
import {
  deviceArgs,
  type RecordingBroker,
  smallBases,
  spawnAgent,
  stamped,
  startRecordingBroker,
  testBundle,
  until,
} from '../agent/harness.ts';

const MiB = 1024 * 1024;
let bundle: DemoBundle;
let broker: RecordingBroker;
let bases: Uint8Array[];
let root: string;
let work: string;
let mounted = false;

beforeAll(async () => {
  if (process.getuid?.() !== 0) {
    throw new Error(
      'the full-disk test mounts a tmpfs and needs root (CI runs as root): run it as root, e.g. sudo npx vitest run --project edge-component tests/faults/full-disk.test.ts',
    );
  }
  [bundle, broker, bases] = await Promise.all([testBundle(), startRecordingBroker(), smallBases(96)]);
  root = await mkdtemp(join(tmpdir(), 'edgeqc-full-disk-'));
  work = join(root, 'work');
  await mkdir(work);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', work]);
  mounted = true;
}, 120_000);
afterAll(async () => {
  await broker?.close();
  if (mounted) execFileSync('umount', [work]);
  if (root) await rm(root, { recursive: true, force: true });
});

const freeBytes = async (dir: string) => {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
};

describe('a full disk under the real agent binary', () => {
  it('reports degraded with the reason, pauses intake, and resumes with nothing lost when space returns', async () => {
    const name = 'full-disk';
    const camera = join(root, 'camera');
    await mkdir(camera);
    const keyFile = join(root, 'trusted.pem');
    await writeFile(keyFile, bundle.publicKeyPem);
    const agent = spawnAgent([
      ...deviceArgs({ name, camera, work, modelDir: bundle.dir, keyFile, brokerUrl: broker.url }),
      '--limits-min-free-bytes',
      String(2 * MiB),
    ]);
    const statuses = () => broker.on(`edgeqc/${name}/status`).map((m) => m.json);
    const inspections = () => broker.on(`edgeqc/${name}/inspections`).map((m) => m.json);
    try {
      await until(() => statuses().some((s) => s.state === 'online'), 'online', 60_000);
      await writeFile(join(camera, 'before.jpg'), stamped(bases[0] as Uint8Array, 'before'));
      await until(() => inspections().length === 1, 'the first image inspected', 60_000);

      // Fill the file system to 1 MiB free: below limits.minFreeBytes (2 MiB).
      const filler = join(work, 'filler.bin');
      const handle = await open(filler, 'w');
      await handle.write(Buffer.alloc(Math.max(0, (await freeBytes(work)) - MiB), 7));
      await handle.close();
      await until(
        () => statuses().at(-1)?.state === 'degraded' && /disk full/.test(String(statuses().at(-1)?.reason)),
        'degraded: disk full',
        30_000,
      );
      for (const n of ['one', 'two', 'three']) {
        await writeFile(join(camera, `${n}.jpg`), stamped(bases[1] as Uint8Array, n));
      }
      // Three more heartbeats while full: nothing taken, nothing inspected.
      const seenBefore = statuses().length;
      await until(() => statuses().length >= seenBefore + 3, 'three heartbeats while full', 30_000);
      expect(statuses().at(-1)?.state).toBe('degraded');
      expect((await readdir(camera)).sort()).toEqual(['one.jpg', 'three.jpg', 'two.jpg']);
      expect(inspections()).toHaveLength(1);

      // Space returns: back online, every image inspected exactly once.
      await unlink(filler);
      await until(() => inspections().length === 4, 'the three waiting images inspected', 60_000);
      await until(() => statuses().at(-1)?.state === 'online', 'online again', 30_000);
      // Published before moved (the outbox append comes first): wait for the moves too.
      await until(async () => (await readdir(camera)).length === 0, 'the camera folder empty', 30_000);
      const ids = inspections().map((m) => m.messageId);
      expect(new Set(ids).size).toBe(4);
      expect(agent.child.exitCode).toBeNull();
    } finally {
      agent.child.kill('SIGTERM');
      await agent.exited;
    }
  }, 240_000);
});
