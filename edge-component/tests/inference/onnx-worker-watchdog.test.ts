/**
 * The worker detector's watchdog with a worker thread that really hangs (tests/inference/
 * hanging-session-worker.ts spins forever on request): the pending runs are refused with
 * DETECTOR_RUN_TIMEOUT, the thread is replaced, and the detector serves again on the new worker.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDetector } from '../../src/adapters/onnx-detector.ts';
import { loadWorkerDetector } from '../../src/adapters/onnx-worker-detector.ts';
import { createSharpImagePreparer } from '../../src/adapters/sharp-image-preparer.ts';
import type { VerifiedBundle } from '../../src/core/types.ts';
import { DetectorError, errorCode } from '../../src/errors.ts';
import { demoBundle, SAMPLES_DIR } from './real-model.ts';

const HANGING_WORKER = new URL('./hanging-session-worker.ts', import.meta.url);
const threads = { intraOpThreads: 1, interOpThreads: 1 };

let bundle: VerifiedBundle;
let tensor: Float32Array;
let expected: Float32Array;
let dir: string;

beforeAll(async () => {
  bundle = await demoBundle('int8');
  dir = await mkdtemp(join(tmpdir(), 'edgeqc-watchdog-'));
  const preparer = createSharpImagePreparer({ maxFileBytes: 50_000_000, maxPixels: 8192 * 8192 });
  const image = await preparer.admit({ path: join(SAMPLES_DIR, 'clean-01.jpg'), sizeBytes: 0, mtimeMs: 0 });
  tensor = (await preparer.prepare(image, bundle.manifest.input)).tensor;
  const inThread = await loadDetector(bundle, { ...threads, worker: false });
  expected = (await inThread.run(tensor.slice())).data;
  await inThread.close();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const hanging = (marker: number) => {
  const t = tensor.slice();
  t[0] = marker;
  return t;
};

describe('the inference watchdog', () => {
  it('restarts a worker that never answers: the run is refused DETECTOR_RUN_TIMEOUT, the next run is served', async () => {
    const restarts: number[] = [];
    const detector = await loadWorkerDetector(bundle, threads, {
      workerUrl: HANGING_WORKER,
      runTimeoutMs: 1500,
      onRestart: (info) => restarts.push(info.pendingRuns),
    });
    try {
      expect((await detector.run(tensor.slice())).data).toEqual(expected);
      const started = Date.now();
      // Two runs pending at the hung thread (the agent keeps two in flight): both are refused.
      const [a, b] = await Promise.allSettled([detector.run(hanging(-3)), detector.run(tensor.slice())]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
      for (const r of [a, b]) {
        expect(r.status).toBe('rejected');
        const err = (r as PromiseRejectedResult).reason;
        expect(err).toBeInstanceOf(DetectorError);
        expect(errorCode(err)).toBe('DETECTOR_RUN_TIMEOUT');
      }
      expect(restarts).toEqual([2]);
      // The restarted worker serves; the answer is the model's.
      expect((await detector.run(tensor.slice())).data).toEqual(expected);
    } finally {
      await detector.close();
    }
  }, 60_000);

  it('a run that hangs once is served when the caller runs it again on the restarted worker', async () => {
    const marker = join(dir, 'hang-once');
    await writeFile(marker, '');
    process.env.EDGEQC_TEST_HANG_ONCE = marker;
    const detector = await loadWorkerDetector(bundle, threads, { workerUrl: HANGING_WORKER, runTimeoutMs: 1500 });
    try {
      const first = await detector.run(hanging(-4)).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(errorCode(first)).toBe('DETECTOR_RUN_TIMEOUT');
      const again = await detector.run(hanging(-4));
      expect(again.data.length).toBe(expected.length);
    } finally {
      delete process.env.EDGEQC_TEST_HANG_ONCE;
      await detector.close();
    }
  }, 60_000);

  it('never fires while the worker answers, however long the detector idles', async () => {
    const detector = await loadWorkerDetector(bundle, threads, { workerUrl: HANGING_WORKER, runTimeoutMs: 2000 });
    try {
      for (let i = 0; i < 3; i += 1) expect((await detector.run(tensor.slice())).data).toEqual(expected);
      await new Promise((r) => setTimeout(r, 2500)); // idle beyond the deadline: nothing pending, no restart
      expect((await detector.run(tensor.slice())).data).toEqual(expected);
    } finally {
      await detector.close();
    }
  }, 60_000);
});
