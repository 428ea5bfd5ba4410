/**
 * The agent with the real disk outbox: an inspection larger than the broker takes never enters the
 * outbox (its image is quarantined with OUTBOX_ENTRY_TOO_LARGE and /errors says so), and a message the
 * broker refuses for good is dead-lettered and reported on /errors (topic, messageId, size, reason)
 * while delivery goes on. The refusal is a publisher that answers PUBACK 135 for one topic, as Mosquitto
 * with an acl_file does (tests/adapters/mqtt-refusals.test.ts shows the real broker's answer).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDiskOutbox } from '../../src/adapters/disk-outbox.ts';
import { pubackError } from '../../src/adapters/mqtt5-publisher.ts';
import { createAgent } from '../../src/agent/create-agent.ts';
import { ErrorEventSchema } from '../../src/contracts/error-event.ts';
import type { Inspection } from '../../src/contracts/inspection.ts';
import { silentLogger } from '../../src/log.ts';
import type { Outbox, PreparedImage, Publisher, PublishRequest } from '../../src/ports.ts';
import {
  fakeArchive,
  fakeCamera,
  fakeDetector,
  fakeInspect,
  fakeModels,
  fakePreparer,
  fakeSeen,
  json,
  until,
} from '../agent/fakes.ts';

const SETTINGS = {
  thingName: 'dev-1',
  topicPrefix: 'edgeqc/dev-1',
  agentVersion: '0.1.0',
  statusIntervalSec: 60,
  inFlight: 2,
  shutdownFlushMs: 100,
};

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A broker stand-in that records what it took and refuses `refusedTopic` for good (PUBACK 135). */
function refusingPublisher(refusedTopic?: string): Publisher & { taken: PublishRequest[] } {
  const taken: PublishRequest[] = [];
  return {
    taken,
    connect: async () => undefined,
    isConnected: () => true,
    close: async () => undefined,
    async publish(request) {
      if (request.topic === refusedTopic) throw pubackError(request.topic, 135);
      taken.push(request);
    },
  };
}

/** fakeInspect, with `count` detections for files whose name starts with "busy". */
function inspectWithDetections(count: number) {
  return async (
    prepared: PreparedImage,
    ...rest: Parameters<typeof fakeInspect> extends [unknown, ...infer R] ? R : never
  ) => {
    const inspection: Inspection = await fakeInspect(prepared, ...rest);
    if (!prepared.image.file.startsWith('busy')) return inspection;
    const detection = {
      label: 'scratch',
      classId: 0,
      confidence: 0.9,
      box: { x: 1, y: 1, width: 2, height: 2 },
      boxNormalized: { x: 0.1, y: 0.1, width: 0.2, height: 0.2 },
    };
    return { ...inspection, verdict: 'defect' as const, detections: new Array(count).fill(detection) };
  };
}

async function agentWith(options: { maxEntryBytes: number; publisher: Publisher }) {
  const dir = await mkdtemp(join(tmpdir(), 'edgeqc-refusals-agent-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const outbox: Outbox = await createDiskOutbox({
    dir,
    capacity: 100,
    policy: 'pause-intake',
    maxEntryBytes: options.maxEntryBytes,
    retry: { minMs: 20, maxMs: 100 },
  });
  const cam = fakeCamera();
  const models = fakeModels();
  models.serve(fakeDetector('1.0.0'));
  const archive = fakeArchive();
  const agent = createAgent(
    {
      camera: cam.camera,
      preparer: fakePreparer(),
      models: models.models,
      inspect: inspectWithDetections(200),
      outbox,
      publisher: options.publisher,
      archive,
      seen: fakeSeen(),
      log: silentLogger(),
    },
    SETTINGS,
  );
  cleanups.push(() => agent.stop('test over'));
  return { dir, cam, archive, agent, outbox };
}

describe('agent + disk outbox under refusals', () => {
  it('an inspection over mqtt.maxMessageBytes never enters the outbox: OUTBOX_ENTRY_TOO_LARGE quarantine and /errors, the line goes on', async () => {
    const publisher = refusingPublisher();
    const w = await agentWith({ maxEntryBytes: 8 * 1024, publisher });
    await w.agent.start();
    w.cam.add('ok-1.jpg', 'busy-2.jpg', 'ok-3.jpg');
    await until(() => w.cam.done.length === 3, 'all files done', 20_000);
    expect(w.archive.moves).toEqual([
      'done/ok/ok-1.jpg',
      'quarantine/busy-2.jpg:OUTBOX_ENTRY_TOO_LARGE',
      'done/ok/ok-3.jpg',
    ]);
    await until(() => publisher.taken.filter((r) => !r.topic.endsWith('/status')).length === 3, 'delivered', 20_000);
    const inspections = publisher.taken
      .filter((r) => r.topic === 'edgeqc/dev-1/inspections')
      .map((r) => json(r.payload));
    expect(inspections.map((i) => (i.image as { file: string }).file)).toEqual(['ok-1.jpg', 'ok-3.jpg']);
    const errors = publisher.taken.filter((r) => r.topic === 'edgeqc/dev-1/errors').map((r) => json(r.payload));
    expect(errors).toMatchObject([{ kind: 'quarantine', code: 'OUTBOX_ENTRY_TOO_LARGE', file: 'busy-2.jpg' }]);
    expect(errors[0]?.message).toMatch(/200 detections/);
    expect(errors[0]?.message).toMatch(/at most 8192/);
    expect(w.agent.status().counters).toMatchObject({ inspected: 2, quarantined: 1 });
  });

  it('a message the broker refuses for good: dead-lettered, /errors names topic, messageId, size and reason, delivery goes on', async () => {
    const publisher = refusingPublisher('edgeqc/dev-1/inspections');
    const w = await agentWith({ maxEntryBytes: 128 * 1024, publisher });
    await w.agent.start();
    w.cam.add('ok-1.jpg', 'ok-2.jpg');
    await until(
      () => publisher.taken.filter((r) => r.topic === 'edgeqc/dev-1/errors').length === 2,
      '2 errors',
      20_000,
    );
    expect(w.archive.moves).toEqual(['done/ok/ok-1.jpg', 'done/ok/ok-2.jpg']);
    const errors = publisher.taken
      .filter((r) => r.topic === 'edgeqc/dev-1/errors')
      .map((r) => ErrorEventSchema.parse(json(r.payload)));
    for (const e of errors) {
      expect(e).toMatchObject({
        kind: 'dead-letter',
        code: 'PUBLISH_REFUSED',
        delivery: { topic: 'edgeqc/dev-1/inspections', reasonCode: 135 },
      });
      expect(e.delivery?.messageId).toMatch(/^[0-9a-f]{64}$/);
      expect(e.delivery?.sizeBytes).toBeGreaterThan(100);
      expect(e.message).toContain('PUBACK reason 135 (Not authorized)');
      expect(e.message).toContain(join(w.dir, 'dead-letter', 'dead-letter.jsonl'));
    }
    expect(await w.outbox.flush(10_000)).toBe(true);
    const lines = (await readFile(join(w.dir, 'dead-letter', 'dead-letter.jsonl'), 'utf8')).trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { messageId: string }).messageId)).toEqual(
      errors.map((e) => e.delivery?.messageId),
    );
  });
});
