import { describe, expect, it } from 'vitest';
import { createAgent } from '../../src/agent/create-agent.ts';
import { UploadError } from '../../src/errors.ts';
import { silentLogger } from '../../src/log.ts';
import type { UploadOffer, UploadSink } from '../../src/upload/uploader.ts';
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

function world(uploads: UploadSink) {
  const cam = fakeCamera();
  const models = fakeModels();
  models.serve(fakeDetector('1.0.0'));
  const outbox = fakeOutbox();
  const seen = fakeSeen();
  const archive = fakeArchive();
  const agent = createAgent(
    {
      camera: cam.camera,
      preparer: fakePreparer(),
      models: models.models,
      inspect: fakeInspect,
      outbox,
      publisher: fakePublisher(),
      archive,
      seen,
      uploads,
      log: silentLogger(),
    },
    { thingName: 'dev-1', topicPrefix: 'edgeqc/dev-1', agentVersion: '0.1.0', statusIntervalSec: 60, inFlight: 2 },
  );
  return { cam, outbox, seen, archive, agent };
}

describe('the commit stage and the uploader', () => {
  it('offers each inspection with its image once it is in the outbox and before the seen index', async () => {
    const seenAtOffer: { messageId: string; inOutbox: boolean; inSeen: boolean; bytes: number }[] = [];
    let w: ReturnType<typeof world> | undefined;
    w = world({
      async offer({ inspection, image }: UploadOffer) {
        const state = w as ReturnType<typeof world>;
        seenAtOffer.push({
          messageId: inspection.messageId,
          inOutbox: state.outbox.entries.some((e) => e.messageId === inspection.messageId),
          inSeen: [...state.seen.records.values()].some((r) => r.messageId === inspection.messageId),
          bytes: image.bytes.length,
        });
        return 'queued';
      },
    });
    await w.agent.start();
    w.cam.add('unclear-1.jpg', 'ok-2.jpg', 'defect-3.jpg');
    await until(() => w.cam.done.length === 3, 'all files done');
    await w.agent.stop('test over');
    const published = w.outbox.entries.filter((e) => e.topic === 'edgeqc/dev-1/inspections');
    expect(seenAtOffer.map((o) => o.messageId)).toEqual(published.map((e) => json(e.payload).messageId));
    expect(seenAtOffer.every((o) => o.inOutbox && !o.inSeen && o.bytes > 0)).toBe(true);
  });

  it('an upload queue that cannot be written does not stop the commit: the image is still archived', async () => {
    const w = world({
      offer: () => Promise.reject(new UploadError('UPLOAD_QUEUE_FAILED', 'disk full')),
    });
    await w.agent.start();
    w.cam.add('unclear-1.jpg');
    await until(() => w.cam.done.length === 1, 'file done');
    expect(w.archive.moves).toEqual(['done/unclear/unclear-1.jpg']);
    expect(w.agent.status().lastError).toMatch(/could not be queued for upload/);
    await w.agent.stop('test over');
  });
});
