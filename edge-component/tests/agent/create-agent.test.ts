import { describe, expect, it } from 'vitest';
import { createAgent } from '../../src/agent/create-agent.ts';
import { StatusSchema } from '../../src/contracts/status.ts';
import { silentLogger } from '../../src/log.ts';
import type { SeenRecord } from '../../src/ports.ts';
import {
  fakeArchive,
  fakeCamera,
  fakeDetector,
  fakeInspect,
  fakeLifecycle,
  fakeModels,
  fakeOutbox,
  fakePreparer,
  fakePublisher,
  fakeSeen,
  json,
  sha,
  until,
} from './fakes.ts';

const SETTINGS = {
  thingName: 'dev-1',
  topicPrefix: 'edgeqc/dev-1',
  agentVersion: '0.1.0',
  statusIntervalSec: 60,
  inFlight: 3,
  shutdownFlushMs: 100,
};

function world(options: { serving?: boolean; contents?: Record<string, string>; seen?: SeenRecord[] } = {}) {
  const cam = fakeCamera();
  const models = fakeModels();
  if (options.serving !== false) models.serve(fakeDetector('1.0.0'));
  const preparer = fakePreparer(options.contents);
  const outbox = fakeOutbox();
  const archive = fakeArchive();
  const seen = fakeSeen(options.seen);
  const publisher = fakePublisher();
  const lifecycle = fakeLifecycle();
  const agent = createAgent(
    {
      camera: cam.camera,
      preparer,
      models: models.models,
      inspect: fakeInspect,
      outbox,
      publisher,
      archive,
      seen,
      lifecycle,
      log: silentLogger(),
    },
    SETTINGS,
  );
  const statuses = () =>
    publisher.sent.filter((r) => r.topic === 'edgeqc/dev-1/status').map((r) => StatusSchema.parse(json(r.payload)));
  const messages = (topic: string) => outbox.entries.filter((e) => e.topic === `edgeqc/dev-1/${topic}`);
  return { cam, models, preparer, outbox, archive, seen, publisher, lifecycle, agent, statuses, messages };
}

/** Serves a detector whose runs take `ms` each; counts the runs and the most under way at once. */
function slowDetector(models: ReturnType<typeof fakeModels>, ms: number) {
  const inner = fakeDetector('1.0.0');
  let active = 0;
  let most = 0;
  let runs = 0;
  models.serve({
    ...inner,
    async run(tensor) {
      runs += 1;
      active += 1;
      most = Math.max(most, active);
      try {
        await new Promise((r) => setTimeout(r, ms));
        return await inner.run(tensor);
      } finally {
        active -= 1;
      }
    },
  });
  return { runs: () => runs, mostAtOnce: () => most };
}

describe('createAgent', () => {
  it('inspects each file once, in intake order, and archives it only after its message is in the outbox', async () => {
    const w = world();
    await w.agent.start();
    const names = ['ok-1.jpg', 'defect-2.jpg', 'unclear-3.jpg', 'ok-4.jpg', 'defect-5.jpg', 'ok-6.jpg'];
    w.cam.add(...names);
    await until(() => w.cam.done.length === names.length, 'all files done');
    expect(w.messages('inspections').map((e) => (json(e.payload).image as { file: string }).file)).toEqual(names);
    expect(w.archive.moves).toEqual(names.map((n) => `done/${n.split('-')[0]}/${n}`));
    expect([...w.seen.records.values()].every((r) => r.archived)).toBe(true);
    expect(w.agent.status().counters).toMatchObject({ inspected: 6, ok: 3, defect: 2, unclear: 1, quarantined: 0 });
    // each image's tensor is freed once it is inspected (release-memory.ts), not left for the GC
    expect(w.preparer.tensors.map((t) => t.buffer.detached)).toEqual(names.map(() => true));
    expect(w.lifecycle.states).toEqual(['RUNNING']);
    await w.agent.stop('test over');
    const final = StatusSchema.parse(json(w.publisher.final?.payload as Uint8Array));
    expect(final).toMatchObject({ state: 'offline', reason: 'test over' });
    expect(w.publisher.final?.retain).toBe(true);
  });

  it('leaves the camera folder alone while no model serves, degraded with the reason, and starts when one does', async () => {
    const w = world({ serving: false });
    await w.agent.start();
    w.cam.add('ok-1.jpg');
    await new Promise((r) => setTimeout(r, 300));
    expect(w.cam.iterations()).toBe(0);
    expect(w.cam.pulled).toEqual([]);
    expect(w.statuses().at(-1)).toMatchObject({ state: 'degraded', model: null });
    expect(w.statuses().at(-1)?.reason).toMatch(/no model serves/);

    w.models.refuse({ code: 'MODEL_HASH_MISMATCH', message: 'model.onnx sha256 differs from the manifest' });
    w.agent.modelEvent({
      type: 'rejected',
      refusal: { code: 'MODEL_HASH_MISMATCH', message: 'model.onnx sha256 differs from the manifest' },
    });
    await until(() => w.lifecycle.states.includes('ERRORED'), 'ERRORED');
    expect(w.statuses().at(-1)?.reason).toMatch(/MODEL_HASH_MISMATCH|sha256 differs/);
    expect(json(w.messages('errors')[0]?.payload as Uint8Array)).toMatchObject({
      kind: 'model-rejected',
      code: 'MODEL_HASH_MISMATCH',
    });
    expect(w.cam.pulled).toEqual([]);

    w.models.serve(fakeDetector('1.0.0'));
    w.agent.modelEvent({ type: 'loaded' });
    await until(() => w.cam.done.length === 1, 'file inspected');
    expect(w.statuses().at(-1)).toMatchObject({ state: 'online', model: { version: '1.0.0' } });
    expect(w.lifecycle.states).toEqual(['ERRORED', 'RUNNING']);
    await w.agent.stop('done');
  });

  it('quarantines a rejected file and a duplicate with their reasons on /errors, and keeps going', async () => {
    const w = world({ contents: { 'ok-2.jpg': 'same', 'ok-3.jpg': 'same' } });
    await w.agent.start();
    w.cam.add('bad-1.jpg', 'ok-2.jpg', 'ok-3.jpg', 'ok-4.jpg');
    await until(() => w.cam.done.length === 4, 'all files done');
    expect(w.archive.moves).toEqual([
      'quarantine/bad-1.jpg:IMAGE_TRUNCATED',
      'done/ok/ok-2.jpg',
      'quarantine/ok-3.jpg:IMAGE_DUPLICATE',
      'done/ok/ok-4.jpg',
    ]);
    const firstId = json(w.messages('inspections')[0]?.payload as Uint8Array).messageId as string;
    const errors = w.messages('errors').map((e) => json(e.payload));
    expect(errors).toMatchObject([
      { kind: 'quarantine', code: 'IMAGE_TRUNCATED', file: 'bad-1.jpg' },
      { kind: 'quarantine', code: 'IMAGE_DUPLICATE', file: 'ok-3.jpg', sha256: sha('same') },
    ]);
    expect(errors[1]?.message).toContain(firstId);
    expect(w.agent.status().counters).toMatchObject({ inspected: 2, quarantined: 1, duplicates: 1 });
    await w.agent.stop('done');
  });

  it('an identical image right behind its twin (twin still committing) is a duplicate, not inspected again', async () => {
    const w = world({ contents: { 'ok-1.jpg': 'twin', 'ok-2.jpg': 'twin' } });
    const append = w.outbox.append.bind(w.outbox);
    w.outbox.append = async (entry) => {
      await new Promise((r) => setTimeout(r, 150));
      return append(entry);
    };
    await w.agent.start();
    w.cam.add('ok-1.jpg', 'ok-2.jpg');
    await until(() => w.cam.done.length === 2, 'both done');
    expect(w.messages('inspections')).toHaveLength(1);
    expect(w.archive.moves).toEqual(['done/ok/ok-1.jpg', 'quarantine/ok-2.jpg:IMAGE_DUPLICATE']);
    expect(w.agent.status().counters).toMatchObject({ inspected: 1, duplicates: 1 });
    await w.agent.stop('done');
  });

  it('queues the next image at the detector while one runs, and hands the verdicts on in intake order', async () => {
    const w = world();
    const detector = slowDetector(w.models, 40);
    await w.agent.start();
    const names = ['ok-1.jpg', 'defect-2.jpg', 'ok-3.jpg', 'unclear-4.jpg', 'ok-5.jpg', 'defect-6.jpg'];
    w.cam.add(...names);
    await until(() => w.cam.done.length === names.length, 'all files done');
    expect(detector.runs()).toBe(names.length);
    expect(detector.mostAtOnce()).toBe(2);
    expect(w.messages('inspections').map((e) => (json(e.payload).image as { file: string }).file)).toEqual(names);
    expect(w.archive.moves).toEqual(names.map((n) => `done/${n.split('-')[0]}/${n}`));
    await w.agent.stop('done');
  });

  it('an identical image right behind its twin (twin still being inspected) waits for it and is a duplicate', async () => {
    const w = world({ contents: { 'ok-1.jpg': 'twin', 'ok-2.jpg': 'twin', 'ok-3.jpg': 'other' } });
    const detector = slowDetector(w.models, 100);
    await w.agent.start();
    w.cam.add('ok-1.jpg', 'ok-2.jpg', 'ok-3.jpg');
    await until(() => w.cam.done.length === 3, 'all three done');
    expect(detector.runs()).toBe(2);
    expect(w.messages('inspections').map((e) => (json(e.payload).image as { file: string }).file)).toEqual([
      'ok-1.jpg',
      'ok-3.jpg',
    ]);
    expect(w.archive.moves).toEqual(['done/ok/ok-1.jpg', 'quarantine/ok-2.jpg:IMAGE_DUPLICATE', 'done/ok/ok-3.jpg']);
    expect(w.agent.status().counters).toMatchObject({ inspected: 2, duplicates: 1 });
    await w.agent.stop('done');
  });

  it('of two identical images the first in intake order is inspected, even when its intake finishes last', async () => {
    const w = world({ contents: { 'ok-1.jpg': 'twin', 'ok-2.jpg': 'twin' } });
    const detector = slowDetector(w.models, 50);
    const admit = w.preparer.admit.bind(w.preparer);
    w.preparer.admit = async (file) => {
      if (file.path.endsWith('ok-1.jpg')) await new Promise((r) => setTimeout(r, 80));
      return admit(file);
    };
    await w.agent.start();
    w.cam.add('ok-1.jpg', 'ok-2.jpg');
    await until(() => w.cam.done.length === 2, 'both done');
    expect(detector.runs()).toBe(1);
    expect(w.archive.moves).toEqual(['done/ok/ok-1.jpg', 'quarantine/ok-2.jpg:IMAGE_DUPLICATE']);
    await w.agent.stop('done');
  });

  it('runs an image again on the new model when the old one failed during a swap, preparing it again if the old one took the tensor', async () => {
    const w = world();
    const old = fakeDetector('1.0.0');
    w.models.serve({
      ...old,
      async run(tensor) {
        (tensor.buffer as ArrayBuffer).transfer(); // taken, as the worker detector takes it
        w.models.serve(fakeDetector('2.0.0'));
        throw new Error('session closed by the swap');
      },
    });
    await w.agent.start();
    w.cam.add('ok-1.jpg');
    await until(() => w.cam.done.length === 1, 'file done');
    expect(w.messages('inspections').map((e) => (json(e.payload).model as { version: string }).version)).toEqual([
      '2.0.0',
    ]);
    expect(w.preparer.prepared).toEqual(['ok-1.jpg', 'ok-1.jpg']);
    expect(w.archive.moves).toEqual(['done/ok/ok-1.jpg']);
    await w.agent.stop('done');
  });

  it('leaves a file whose intake fails unexpectedly in the folder and goes on with the next ones', async () => {
    const w = world();
    const get = w.seen.get.bind(w.seen);
    let calls = 0;
    w.seen.get = (sha) => {
      calls += 1;
      if (calls === 1) throw new Error('index read failed'); // stage 1 of the first file
      return get(sha);
    };
    await w.agent.start();
    w.cam.add('ok-1.jpg', 'ok-2.jpg');
    await until(() => w.cam.done.length === 1, 'the second file done');
    expect(w.cam.done).toEqual(['/cam/ok-2.jpg']);
    expect(w.archive.moves).toEqual(['done/ok/ok-2.jpg']);
    expect(w.agent.status().lastError).toMatch(/unexpected failure while reading .*ok-1\.jpg/);
    await w.agent.stop('done');
  });

  it('finishes the archive move of an image inspected before a crash, without inspecting it again', async () => {
    const record = { sha256: sha('ok-1.jpg'), messageId: 'a'.repeat(64), file: 'ok-1.jpg', verdict: 'defect' as const };
    const w = world({ seen: [{ ...record, archived: false }] });
    await w.agent.start();
    w.cam.add('ok-1.jpg');
    await until(() => w.cam.done.length === 1, 'file done');
    expect(w.archive.moves).toEqual(['done/defect/ok-1.jpg']);
    expect(w.messages('inspections')).toEqual([]);
    expect(w.preparer.prepared).toEqual([]);
    expect(w.seen.records.get(record.sha256)?.archived).toBe(true);
    await w.agent.stop('done');
  });

  it('pauses intake while the outbox is full (files stay in the folder) and reports why', async () => {
    const w = world();
    w.outbox.full = true;
    await w.agent.start();
    w.cam.add('ok-1.jpg');
    await until(() => w.statuses().some((s) => s.state === 'degraded'), 'degraded status');
    expect(w.statuses().at(-1)?.reason).toMatch(/outbox full/);
    expect(w.cam.pulled).toEqual([]);
    w.outbox.full = false;
    await until(() => w.cam.done.length === 1, 'file done after the outbox drained');
    await until(() => w.statuses().at(-1)?.state === 'online', 'online again');
    await w.agent.stop('done');
  });

  it('swaps the model between two images: each image inspected once, by the model serving at its turn', async () => {
    const w = world();
    await w.agent.start();
    w.cam.add('ok-1.jpg', 'ok-2.jpg');
    await until(() => w.cam.done.length === 2, 'first two');
    w.models.serve(fakeDetector('2.0.0', 64));
    w.agent.modelEvent({ type: 'loaded' });
    w.cam.add('ok-3.jpg', 'ok-4.jpg');
    await until(() => w.cam.done.length === 4, 'all four');
    const inspections = w.messages('inspections').map((e) => json(e.payload) as { model: { version: string } });
    expect(inspections.map((i) => i.model.version)).toEqual(['1.0.0', '1.0.0', '2.0.0', '2.0.0']);
    expect(new Set(w.messages('inspections').map((e) => e.messageId)).size).toBe(4);
    // tensors prepared for the old input and again for the new one: all freed
    expect(w.preparer.tensors.every((t) => t.buffer.detached)).toBe(true);
    await w.agent.stop('done');
  });

  it('an image whose run hit a model retired by a swap runs again on the new model', async () => {
    const w = world();
    await w.agent.start();
    const old = fakeDetector('1.0.0');
    w.models.serve({
      ...old,
      run: async () => {
        w.models.serve(fakeDetector('2.0.0'));
        throw new Error('model tag-scratch 1.0.0 was replaced and closed; read current() again');
      },
    });
    w.cam.add('ok-1.jpg');
    await until(() => w.cam.done.length === 1, 'file done');
    expect(w.archive.moves).toEqual(['done/ok/ok-1.jpg']);
    expect(w.messages('inspections').map((e) => (json(e.payload).model as { version: string }).version)).toEqual([
      '2.0.0',
    ]);
    await w.agent.stop('done');
  });

  it('on stop finishes the images in flight and pulls no more', async () => {
    const w = world();
    await w.agent.start();
    w.cam.add('ok-1.jpg', 'ok-2.jpg', 'ok-3.jpg');
    await until(() => w.cam.pulled.length >= 1, 'one pulled');
    await w.agent.stop('SIGTERM');
    // Everything pulled was finished: inspected and archived.
    expect(w.cam.done).toEqual(w.cam.pulled);
    expect(w.messages('inspections').length).toBe(w.cam.pulled.length);
    await w.agent.stopped;
  });
});
