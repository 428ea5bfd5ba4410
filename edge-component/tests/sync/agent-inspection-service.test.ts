/**
 * The synchronous inspection service over the real demo model (INT8, in this thread), the real sharp
 * preparer and inspect-image: what an HTTP or gRPC client gets is what the folder pipeline would
 * publish for the same bytes; bad input, overload, deadlines and a hot swap behave as the port says.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDetector } from '../../src/adapters/onnx-detector.ts';
import { createSharpImagePreparer } from '../../src/adapters/sharp-image-preparer.ts';
import { type Inspection, InspectionSchema } from '../../src/contracts/inspection.ts';
import { admitBytes } from '../../src/core/admit.ts';
import { inspectImage } from '../../src/inference/inspect-image.ts';
import { silentLogger } from '../../src/log.ts';
import type { AdmittedImage, Detector } from '../../src/ports.ts';
import {
  type AgentInspectionServiceSettings,
  createAgentInspectionService,
} from '../../src/sync/agent-inspection-service.ts';
import { demoBundle, SAMPLES_DIR } from '../inference/real-model.ts';

const preparer = createSharpImagePreparer({ maxFileBytes: 20 * 1024 * 1024, maxPixels: 4096 * 4096 });
let detector: Detector;
let scratch: Uint8Array;

beforeAll(async () => {
  detector = await loadDetector(await demoBundle('int8'), { intraOpThreads: 1, interOpThreads: 1 });
  scratch = new Uint8Array(await readFile(join(SAMPLES_DIR, 'scratch-01.jpg')));
}, 60_000);
afterAll(async () => {
  await detector?.close();
});

const settings: AgentInspectionServiceSettings = {
  thingName: 'sync-line',
  maxFileBytes: 20 * 1024 * 1024,
  concurrency: 1,
  maxQueue: 4,
  timeoutMs: 30_000,
};

function service(
  options: { current?: () => Detector | null; settings?: Partial<AgentInspectionServiceSettings> } = {},
) {
  const published: Inspection[] = [];
  const archived: { image: AdmittedImage; inspection: Inspection }[] = [];
  const recorded: Inspection[] = [];
  const s = createAgentInspectionService(
    {
      models: { current: options.current ?? (() => detector) },
      preparer,
      inspect: inspectImage,
      publish: async (i) => {
        published.push(i);
      },
      archive: async (image, inspection) => {
        archived.push({ image, inspection });
      },
      record: (i) => recorded.push(i),
      log: silentLogger(),
    },
    { ...settings, ...options.settings },
  );
  return { s, published, archived, recorded };
}

/** The message the folder pipeline makes for the same bytes. */
async function folderInspection(bytes: Uint8Array, file: string): Promise<Inspection> {
  const image = admitBytes(file, bytes, Date.now(), 20 * 1024 * 1024);
  return inspectImage(await preparer.prepare(image, detector.manifest.input), detector, { thingName: 'sync-line' });
}

describe('synchronous inspection service', () => {
  it("answers a JPEG with the folder pipeline's message for the same bytes, and counts it", async () => {
    const { s, recorded, published } = service();
    const got = await s.inspect({ kind: 'encoded', bytes: scratch, name: 'part-17.jpg' });
    expect(InspectionSchema.safeParse(got).success).toBe(true);
    const expected = await folderInspection(scratch, 'part-17.jpg');
    expect(got.messageId).toBe(expected.messageId);
    expect(got.verdict).toBe(expected.verdict);
    expect(got.detections).toEqual(expected.detections);
    expect(got.image).toMatchObject({ file: 'part-17.jpg', sha256: expected.image.sha256 });
    expect(recorded.map((i) => i.messageId)).toEqual([got.messageId]);
    expect(published).toEqual([]);
  });

  it('frees pixels handed over (an inline bitmap in its gRPC message) or read from shared memory once the work ends, and no others', async () => {
    const { s } = service();
    const { data, info } = await sharp(scratch).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const size = { width: info.width, height: info.height };
    // As grpc-js hands it: the bitmap inside a buffer of its own with a few bytes of framing around it.
    const message = new Uint8Array(data.length + 40);
    message.set(data, 30);
    const inline = message.subarray(30, 30 + data.length);
    const first = await s.inspect({ kind: 'rgb', ...size, pixels: inline, handOver: true });
    expect(inline.byteLength).toBe(0);
    expect(message.buffer.detached).toBe(true);

    const read = Uint8Array.from(data);
    const shared = await s.inspect({ kind: 'rgb-deferred', ...size, readPixels: async () => read });
    expect(read.buffer.detached).toBe(true);

    const kept = Uint8Array.from(data);
    const notHanded = await s.inspect({ kind: 'rgb', ...size, pixels: kept });
    expect(kept.byteLength).toBe(data.length);
    expect([shared.messageId, notHanded.messageId]).toEqual([first.messageId, first.messageId]);
  });

  it('gives raw RGB pixels of an image the same detections as its JPEG', async () => {
    const { s } = service();
    const { data, info } = await sharp(scratch).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const raw = await s.inspect({ kind: 'rgb', width: info.width, height: info.height, pixels: data });
    const encoded = await s.inspect({ kind: 'encoded', bytes: scratch });
    expect(raw.image).toMatchObject({ width: info.width, height: info.height });
    expect(raw.verdict).toBe(encoded.verdict);
    expect(raw.detections).toEqual(encoded.detections);
  });

  it('publishes and archives only when asked', async () => {
    const { s, published, archived } = service();
    const got = await s.inspect(
      { kind: 'encoded', bytes: scratch, name: 'keep.jpg' },
      { publish: true, archive: true },
    );
    expect(published.map((i) => i.messageId)).toEqual([got.messageId]);
    expect(archived).toHaveLength(1);
    expect(archived[0]?.image).toMatchObject({ file: 'keep.jpg', format: 'jpeg', sha256: got.image.sha256 });
  });

  it('refuses bad images with the quarantine codes, and a bitmap that does not match its size', async () => {
    const { s, recorded } = service();
    const text = new TextEncoder().encode('not an image');
    await expect(s.inspect({ kind: 'encoded', bytes: new Uint8Array() })).rejects.toMatchObject({
      code: 'IMAGE_EMPTY',
    });
    await expect(s.inspect({ kind: 'encoded', bytes: text })).rejects.toMatchObject({
      code: 'IMAGE_UNSUPPORTED_FORMAT',
    });
    await expect(s.inspect({ kind: 'encoded', bytes: scratch.subarray(0, scratch.length >> 1) })).rejects.toMatchObject(
      { code: expect.stringMatching(/IMAGE_TRUNCATED|IMAGE_CORRUPT/) },
    );
    await expect(
      s.inspect({ kind: 'encoded', bytes: scratch }, { archive: true, publish: false }).then(() => 'ok'),
    ).resolves.toBe('ok');
    await expect(s.inspect({ kind: 'rgb', width: 64, height: 64, pixels: new Uint8Array(100) })).rejects.toMatchObject({
      code: 'SYNC_BAD_BITMAP',
      message: expect.stringContaining('12288'),
    });
    await expect(
      s.inspect({ kind: 'rgb', width: 64, height: 64, pixels: new Uint8Array(64 * 64 * 3) }, { archive: true }),
    ).rejects.toMatchObject({ code: 'SYNC_BAD_BITMAP' });
    expect(recorded).toHaveLength(1);
  });

  it('answers SYNC_NO_MODEL while no model serves, and names the model once one does', async () => {
    let serving: Detector | null = null;
    const { s } = service({ current: () => serving });
    expect(s.served()).toBeNull();
    await expect(s.inspect({ kind: 'encoded', bytes: scratch })).rejects.toMatchObject({ code: 'SYNC_NO_MODEL' });
    serving = detector;
    expect(s.served()).toMatchObject({
      model: detector.model,
      componentName: `com.edgeqc.Model.${detector.model.name}`,
      labels: detector.manifest.classes,
    });
  });

  it('refuses requests past the queue at once, and answers SYNC_TIMEOUT past the deadline', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => {
      release = r;
    });
    const slow: Detector = { ...detector, run: async (t) => held.then(() => detector.run(t)) };
    const { s } = service({ current: () => slow, settings: { concurrency: 1, maxQueue: 1, timeoutMs: 60_000 } });
    const first = s.inspect({ kind: 'encoded', bytes: scratch });
    const second = s.inspect({ kind: 'encoded', bytes: scratch });
    // Let the first reach the detector and the second the queue.
    await new Promise((r) => setImmediate(r));
    await expect(s.inspect({ kind: 'encoded', bytes: scratch })).rejects.toMatchObject({ code: 'SYNC_QUEUE_FULL' });
    expect(s.retryAfterMs()).toBeGreaterThanOrEqual(1000);
    release();
    await expect(first).resolves.toMatchObject({ schema: 'edgeqc.inspection.v1' });
    await expect(second).resolves.toMatchObject({ schema: 'edgeqc.inspection.v1' });

    const never: Detector = { ...detector, run: () => new Promise(() => undefined) };
    const late = service({ current: () => never, settings: { timeoutMs: 300 } }).s;
    await expect(late.inspect({ kind: 'encoded', bytes: scratch })).rejects.toMatchObject({ code: 'SYNC_TIMEOUT' });
  });

  it('runs a request again on the new model when the model is swapped under it', async () => {
    const retired: Detector = {
      ...detector,
      model: { ...detector.model, version: '0.9.0' },
      run: async () => {
        serving = detector; // the swap happens while this run is under way
        throw new Error('MODEL_RETIRED: the model was replaced');
      },
    };
    let serving: Detector = retired;
    const { s } = service({ current: () => serving });
    const got = await s.inspect({ kind: 'encoded', bytes: scratch });
    expect(got.model.version).toBe(detector.model.version);
  });
});
