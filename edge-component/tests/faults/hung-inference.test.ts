/**
 * The agent with an inference that hangs (the detector's watchdog refuses the run with
 * DETECTOR_RUN_TIMEOUT, as the worker detector does when its thread answers nothing): the image is run
 * once more; it is inspected when the second run answers, and quarantined as INSPECTION_HUNG when it
 * hangs again. The agent goes on with the next image. Fakes behind the ports (the watchdog itself runs
 * against a really hanging worker thread in tests/inference/onnx-worker-watchdog.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { createAgent } from '../../src/agent/create-agent.ts';
import { DetectorError } from '../../src/errors.ts';
import { silentLogger } from '../../src/log.ts';
import {
  fakeArchive,
  fakeCamera,
  fakeDetector,
  fakeInspect,
  fakeModels,
  fakeOutbox,
  fakePreparer,
  fakePublisher,
  fakeSeen,
  json,
  until,
} from '../agent/fakes.ts';

/** Runs for these file names are refused as hung by the watchdog, this many times each; counts runs. */
function hangingInspect() {
  const hangs = new Map<string, number>();
  const runs: string[] = [];
  const inspect: typeof fakeInspect = async (prepared, detector, options) => {
    const file = prepared.image.file;
    runs.push(file);
    const left = hangs.get(file) ?? 0;
    if (left > 0) {
      hangs.set(file, left - 1);
      throw new DetectorError('DETECTOR_RUN_TIMEOUT', 'the worker answered nothing for 30000 ms; it was restarted');
    }
    return fakeInspect(prepared, detector, options);
  };
  return { hangs, runs, inspect };
}

function world() {
  const cam = fakeCamera();
  const models = fakeModels();
  const hung = hangingInspect();
  models.serve(fakeDetector('1.0.0'));
  const outbox = fakeOutbox();
  const archive = fakeArchive();
  const agent = createAgent(
    {
      camera: cam.camera,
      preparer: fakePreparer(),
      models: models.models,
      inspect: hung.inspect,
      outbox,
      publisher: fakePublisher(),
      archive,
      seen: fakeSeen(),
      log: silentLogger(),
    },
    { thingName: 'dev-1', topicPrefix: 'edgeqc/dev-1', agentVersion: '0.1.0', statusIntervalSec: 60, inFlight: 1 },
  );
  const errors = () => outbox.entries.filter((e) => e.topic === 'edgeqc/dev-1/errors').map((e) => json(e.payload));
  return { cam, hung, archive, agent, errors };
}

describe('a hung inference', () => {
  it('is run once more, and inspected when the restarted worker answers', async () => {
    const w = world();
    await w.agent.start();
    try {
      w.hung.hangs.set('once.jpg', 1);
      w.cam.add('once.jpg');
      await until(() => w.archive.moves.length === 1, 'once.jpg committed');
      expect(w.archive.moves).toEqual(['done/ok/once.jpg']);
      expect(w.hung.runs).toEqual(['once.jpg', 'once.jpg']);
      expect(w.errors()).toEqual([]);
    } finally {
      await w.agent.stop('test over');
    }
  });

  it('is quarantined as INSPECTION_HUNG when it hangs twice, and the next image is inspected', async () => {
    const w = world();
    await w.agent.start();
    try {
      w.hung.hangs.set('stuck.jpg', 2);
      w.cam.add('stuck.jpg', 'next.jpg');
      await until(() => w.archive.moves.length === 2, 'both committed');
      expect(w.archive.moves).toEqual(['quarantine/stuck.jpg:INSPECTION_HUNG', 'done/ok/next.jpg']);
      expect(w.hung.runs.filter((f) => f === 'stuck.jpg')).toHaveLength(2);
      expect(w.hung.runs.filter((f) => f === 'next.jpg')).toHaveLength(1);
      const [error] = w.errors();
      expect(error).toMatchObject({ code: 'INSPECTION_HUNG', file: 'stuck.jpg' });
      expect(String(error?.message)).toMatch(/twice/);
    } finally {
      await w.agent.stop('test over');
    }
  });
});
