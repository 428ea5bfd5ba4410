/**
 * The agent wired as on a device (runtime/agent-runtime.ts's createAgentRuntime: real camera folder
 * source, sharp preparer, onnxruntime with the INT8 demo model in a signed bundle, disk outbox, seen
 * index, folder archive) publishing to the embedded broker over MQTT 3.1.1.
 */
import { cp, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAgentConfig } from '../../src/config/schema.ts';
import { InspectionSchema } from '../../src/contracts/inspection.ts';
import { StatusSchema } from '../../src/contracts/status.ts';
import type { DemoBundle } from '../../src/demo-model/demo-bundle.ts';
import { silentLogger } from '../../src/log.ts';
import { type AgentRuntime, createAgentRuntime } from '../../src/runtime/agent-runtime.ts';
import {
  drop,
  filesIn,
  pngBomb,
  type RecordingBroker,
  smallBases,
  stamped,
  startRecordingBroker,
  testBundle,
  until,
} from './harness.ts';

let bundle: DemoBundle;
let broker: RecordingBroker;
let bases: Uint8Array[];
let root: string;

beforeAll(async () => {
  [bundle, broker, bases] = await Promise.all([testBundle(), startRecordingBroker(), smallBases(160)]);
  root = await mkdtemp(join(tmpdir(), 'edgeqc-agent-runtime-'));
}, 120_000);
afterAll(async () => {
  await broker?.close();
  await rm(root, { recursive: true, force: true });
});

async function runAgent(name: string, modelDir: string, extra: Record<string, unknown> = {}) {
  const dir = join(root, name);
  const cameraDir = join(dir, 'camera');
  await mkdir(cameraDir, { recursive: true });
  const config = parseAgentConfig({
    thingName: name,
    cameraDir,
    workDir: join(dir, 'work'),
    model: { dir: modelDir },
    trustedKeys: [bundle.publicKeyPem],
    mqtt: { url: broker.url, version: '3.1.1' },
    inference: { intraOpThreads: 1, inFlight: 2 },
    statusIntervalSec: 1,
    ...extra,
  });
  const runtime: AgentRuntime = await createAgentRuntime(config, { log: silentLogger() });
  const topic = (kind: string) => broker.on(`edgeqc/${name}/${kind}`);
  return {
    runtime,
    cameraDir,
    done: (verdict: string) => filesIn(join(dir, 'work', 'done', verdict)),
    quarantine: () => filesIn(join(dir, 'work', 'quarantine')),
    inspections: () => topic('inspections').map((m) => InspectionSchema.parse(m.json)),
    errors: () => topic('errors').map((m) => m.json),
    statuses: () => topic('status').map((m) => StatusSchema.parse(m.json)),
  };
}

describe('agent on a real camera folder, model and broker', () => {
  it('inspects every image once, publishes it on /inspections and moves it to done/<verdict>', async () => {
    const a = await runAgent('line-ok', bundle.dir);
    try {
      const names = ['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg', 'e.jpg', 'f.jpg'];
      for (const [i, n] of names.entries()) await drop(a.cameraDir, n, stamped(bases[i] as Uint8Array, n));
      await until(() => a.inspections().length >= names.length, 'six inspections');
      const inspections = a.inspections();
      expect(inspections.map((i) => i.image.file).sort()).toEqual(names);
      expect(new Set(inspections.map((i) => i.messageId)).size).toBe(names.length);
      expect(inspections.every((i) => i.model.sha256 === bundle.manifest.model.sha256)).toBe(true);
      await until(async () => (await filesIn(a.cameraDir)).length === 0, 'camera folder emptied');
      const archived = [...(await a.done('ok')), ...(await a.done('defect')), ...(await a.done('unclear'))];
      expect(archived.filter((f) => names.includes(f)).sort()).toEqual(names);
      for (const i of inspections) expect(await a.done(i.verdict)).toContain(i.image.file);
      await until(() => a.statuses().some((s) => s.counters.inspected === names.length), 'status counts');
      const status = a.statuses().at(-1);
      expect(status).toMatchObject({ state: 'online', model: { version: bundle.manifest.version } });
      expect(status?.selfTest?.passed).toBe(true);
      expect(status?.rates.imagesPerSecond).toBeGreaterThan(0);
      expect(status?.latencyMs?.p95).toBeGreaterThanOrEqual(status?.latencyMs?.p50 ?? Number.POSITIVE_INFINITY);
      expect(status?.counters).toMatchObject({ inspected: 6, quarantined: 0, duplicates: 0 });
      await until(() => (a.statuses().at(-1)?.counters.published ?? 0) === names.length, 'published counted');
      expect(a.statuses().at(-1)?.outbox).toMatchObject({ pending: 0, dropped: 0 });
    } finally {
      await a.runtime.stop('test over');
    }
    expect(a.statuses().at(-1)).toMatchObject({ state: 'offline', reason: 'test over' });
  });

  it('quarantines bad inputs with a reason on /errors and keeps running', async () => {
    const a = await runAgent('line-bad', bundle.dir);
    try {
      const good = stamped(bases[0] as Uint8Array, 'good');
      await drop(a.cameraDir, 'empty.jpg', new Uint8Array());
      await drop(a.cameraDir, 'truncated.jpg', good.subarray(0, Math.floor(good.length / 2)));
      await drop(a.cameraDir, 'random.jpg', new Uint8Array(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 251)));
      await drop(a.cameraDir, 'notes.txt', new TextEncoder().encode('not an image\n'));
      await drop(a.cameraDir, 'bomb.png', pngBomb(30_000));
      await drop(a.cameraDir, 'first.jpg', good);
      await until(() => a.inspections().some((i) => i.image.file === 'first.jpg'), 'first.jpg inspected');
      await drop(a.cameraDir, 'again.jpg', good);
      await drop(a.cameraDir, 'prüfteil-ü.jpg', stamped(bases[1] as Uint8Array, 'non-ascii'));
      await mkdir(join(a.cameraDir, 'x.jpg'));
      // A camera writing in place, slowly: half now, the rest later; inspected once, complete.
      const slow = stamped(bases[2] as Uint8Array, 'slow');
      await writeFile(join(a.cameraDir, 'slow.jpg'), slow.subarray(0, 100));
      await new Promise((r) => setTimeout(r, 400));
      await writeFile(join(a.cameraDir, 'slow.jpg'), slow);
      await until(() => a.errors().length >= 6, 'six error events');
      await until(() => a.inspections().some((i) => i.image.file === 'slow.jpg'), 'slow.jpg inspected');
      await until(() => a.inspections().some((i) => i.image.file === 'prüfteil-ü.jpg'), 'non-ASCII name inspected');
      const byFile = Object.fromEntries(a.errors().map((e) => [e.file as string, e]));
      expect(byFile['empty.jpg']).toMatchObject({ kind: 'quarantine', code: 'IMAGE_EMPTY' });
      expect(byFile['truncated.jpg']).toMatchObject({
        kind: 'quarantine',
        code: expect.stringMatching(/TRUNCATED|CORRUPT/),
      });
      expect(byFile['random.jpg']).toMatchObject({ kind: 'quarantine', code: 'IMAGE_UNSUPPORTED_FORMAT' });
      expect(byFile['notes.txt']).toMatchObject({ kind: 'quarantine', code: 'IMAGE_UNSUPPORTED_FORMAT' });
      expect(byFile['bomb.png']).toMatchObject({ kind: 'quarantine', code: 'IMAGE_TOO_MANY_PIXELS' });
      expect(byFile['again.jpg']).toMatchObject({ kind: 'quarantine', code: 'IMAGE_DUPLICATE' });
      const firstId = a.inspections().find((i) => i.image.file === 'first.jpg')?.messageId as string;
      expect(String(byFile['again.jpg']?.message)).toContain(firstId);
      expect(a.inspections().filter((i) => i.image.file === 'slow.jpg')).toHaveLength(1);
      expect(a.inspections().find((i) => i.image.file === 'slow.jpg')?.image.sha256).toBe(
        (await import('node:crypto')).createHash('sha256').update(slow).digest('hex'),
      );
      // The /errors message is made durable (outbox) before the file is moved with its reason file.
      const rejected = ['empty.jpg', 'truncated.jpg', 'random.jpg', 'notes.txt', 'bomb.png', 'again.jpg'];
      await until(async () => {
        const names = await a.quarantine();
        return rejected.every((f) => names.includes(`${f}.reason.json`));
      }, 'rejected files quarantined with their reasons');
      const quarantined = await a.quarantine();
      for (const f of rejected) {
        expect(quarantined).toContain(f);
        expect(quarantined.some((q) => q.startsWith(f) && q.endsWith('.reason.json'))).toBe(true);
      }
      // The directory named x.jpg is left where it is; the agent still runs and inspects.
      expect((await stat(join(a.cameraDir, 'x.jpg'))).isDirectory()).toBe(true);
      await drop(a.cameraDir, 'after.jpg', stamped(bases[3] as Uint8Array, 'after'));
      await until(() => a.inspections().some((i) => i.image.file === 'after.jpg'), 'after.jpg inspected');
      expect(a.statuses().at(-1)?.state).toBe('online');
    } finally {
      await a.runtime.stop('test over');
    }
  });

  it('without a model leaves the camera folder untouched, degraded; a good bundle arriving starts inspection', async () => {
    const modelDir = join(root, 'late-model');
    await mkdir(modelDir, { recursive: true });
    const a = await runAgent('line-late', modelDir);
    try {
      await drop(a.cameraDir, 'waiting.jpg', stamped(bases[4] as Uint8Array, 'waiting'));
      await until(() => a.statuses().some((s) => s.state === 'degraded'), 'degraded status');
      expect(a.statuses().at(-1)).toMatchObject({ state: 'degraded', model: null });
      await new Promise((r) => setTimeout(r, 1500));
      expect(await filesIn(a.cameraDir)).toEqual(['waiting.jpg']);
      expect(a.inspections()).toEqual([]);
      await cp(bundle.dir, modelDir, { recursive: true });
      await until(() => a.inspections().some((i) => i.image.file === 'waiting.jpg'), 'inspected once a model serves');
      await until(() => a.statuses().at(-1)?.state === 'online', 'online');
    } finally {
      await a.runtime.stop('test over');
    }
  });

  it('pauses intake while the outbox is full (broker down), degraded with the reason; delivers everything once it is back', async () => {
    const a = await runAgent('line-full', bundle.dir, { outbox: { capacity: 3, policy: 'pause-intake' } });
    try {
      await until(() => a.statuses().some((s) => s.state === 'online'), 'online');
      await broker.stop();
      const names = ['p1.jpg', 'p2.jpg', 'p3.jpg', 'p4.jpg', 'p5.jpg', 'p6.jpg'];
      for (const [i, n] of names.entries()) await drop(a.cameraDir, n, stamped(bases[i] as Uint8Array, `full-${n}`));
      await until(() => a.runtime.agent.status().state === 'degraded', 'degraded while the outbox is full');
      const held = a.runtime.agent.status();
      expect(held.reason).toMatch(/outbox full/);
      expect(held.outbox.pending).toBeGreaterThanOrEqual(3);
      await new Promise((r) => setTimeout(r, 1000));
      // Intake paused: files not yet taken wait in the camera folder.
      expect((await filesIn(a.cameraDir)).length).toBeGreaterThan(0);
      await broker.start();
      await until(
        () => new Set(a.inspections().map((i) => i.image.file)).size === names.length,
        'all six delivered',
        60_000,
      );
      await until(() => a.runtime.agent.status().state === 'online', 'online again');
      await until(async () => (await filesIn(a.cameraDir)).length === 0, 'camera folder emptied');
    } finally {
      await a.runtime.stop('test over');
    }
  });
});
