/**
 * The detector with its onnxruntime session in a worker thread (the default) against the in-thread one:
 * the same outputs on real samples of the demo model, several runs in flight at once, close, a worker
 * that dies, and the same load refusals (tiny hand-written ONNX models, tiny-onnx.ts).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDetector } from '../../src/adapters/onnx-detector.ts';
import { loadWorkerDetector } from '../../src/adapters/onnx-worker-detector.ts';
import { createSharpImagePreparer } from '../../src/adapters/sharp-image-preparer.ts';
import type { VerifiedBundle } from '../../src/core/types.ts';
import { DetectorError, ModelIntegrityError } from '../../src/errors.ts';
import type { Detector } from '../../src/ports.ts';
import { bundleOf, demoBundle, SAMPLES_DIR } from './real-model.ts';
import { tinyModel } from './tiny-onnx.ts';

const threads = { intraOpThreads: 1, interOpThreads: 1 };
const SAMPLES = ['clean-01.jpg', 'clean-04.png', 'scratch-01.jpg', 'scratch-06.png'];
const CRASHING_WORKER = new URL('./crashing-session-worker.ts', import.meta.url);

async function refusal(p: Promise<unknown>): Promise<Error & { code: string }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { code: string };
  }
  throw new Error('expected a refusal');
}

let bundle: VerifiedBundle;
let tensors: Float32Array[];
let inThread: Detector;
let expected: Float32Array[];

beforeAll(async () => {
  bundle = await demoBundle('int8');
  const preparer = createSharpImagePreparer({ maxFileBytes: 50_000_000, maxPixels: 8192 * 8192 });
  tensors = [];
  for (const file of SAMPLES) {
    const image = await preparer.admit({ path: join(SAMPLES_DIR, file), sizeBytes: 0, mtimeMs: 0 });
    tensors.push((await preparer.prepare(image, bundle.manifest.input)).tensor);
  }
  inThread = await loadDetector(bundle, { ...threads, worker: false });
  expected = [];
  for (const t of tensors) expected.push((await inThread.run(t)).data);
});
afterAll(async () => {
  await inThread?.close();
});

describe('loadDetector with the session in a worker thread', () => {
  it('gives the in-thread output on real samples, takes the tensor over, and leaves the caller its model bytes', async () => {
    // The samples differ, so a mixed-up output would show.
    expect(expected[0]).not.toEqual(expected[2]);
    const bytesBefore = bundle.modelBytes.byteLength;
    const detector = await loadDetector(bundle, { ...threads, worker: true });
    try {
      expect(bundle.modelBytes.byteLength).toBe(bytesBefore);
      for (const [i, tensor] of tensors.entries()) {
        const own = tensor.slice();
        const out = await detector.run(own);
        expect(out.dims).toEqual(bundle.manifest.output.shape);
        expect(out.data).toEqual(expected[i]);
        // Handed over to the worker thread, not copied (Detector.run may take the tensor).
        expect(own.buffer.detached).toBe(true);
      }
      // A view into a larger buffer is copied instead: the rest of the buffer is not the detector's.
      const size = (tensors[1] as Float32Array).length;
      const larger = new Float32Array(size + 8);
      larger.set(tensors[1] as Float32Array, 8);
      const view = larger.subarray(8);
      expect((await detector.run(view)).data).toEqual(expected[1]);
      expect(view.buffer.detached).toBe(false);
      expect(view[0]).toBe((tensors[1] as Float32Array)[0]);
    } finally {
      await detector.close();
    }
  });

  it('resolves several runs in flight at once each to its own output', async () => {
    const detector = await loadDetector(bundle, { ...threads, worker: true });
    try {
      const order = [0, 1, 2, 3, 3, 2, 1, 0, 2, 0];
      const outs = await Promise.all(order.map((i) => detector.run((tensors[i] as Float32Array).slice())));
      outs.forEach((out, k) => {
        expect(out.data).toEqual(expected[order[k] as number]);
      });
    } finally {
      await detector.close();
    }
  });

  it('finishes the runs in flight at close, then refuses runs with MODEL_RETIRED; close twice is harmless', async () => {
    const detector = await loadDetector(bundle, { ...threads, worker: true });
    const inFlight = detector.run((tensors[1] as Float32Array).slice());
    const closing = detector.close();
    expect((await refusal(detector.run((tensors[0] as Float32Array).slice()))).code).toBe('MODEL_RETIRED');
    expect((await inFlight).data).toEqual(expected[1]);
    await closing;
    await detector.close();
    const r = await refusal(detector.run((tensors[0] as Float32Array).slice()));
    expect(r).toBeInstanceOf(ModelIntegrityError);
    expect(r.code).toBe('MODEL_RETIRED');
  });

  it('refuses the pending and every later run with DETECTOR_WORKER_FAILED when the worker throws or exits', async () => {
    for (const [marker, cause] of [
      [-1, /crash requested by the test/],
      [-2, /exited with code 3/],
    ] as const) {
      const detector = await loadWorkerDetector(bundle, threads, { workerUrl: CRASHING_WORKER });
      expect((await detector.run((tensors[0] as Float32Array).slice())).data).toEqual(expected[0]);
      const crash = new Float32Array(tensors[0] as Float32Array);
      crash[0] = marker;
      const r1 = await refusal(detector.run(crash));
      expect(r1).toBeInstanceOf(DetectorError);
      expect(r1.code).toBe('DETECTOR_WORKER_FAILED');
      expect(r1.message).toMatch(cause);
      const r2 = await refusal(detector.run((tensors[0] as Float32Array).slice()));
      expect(r2.code).toBe('DETECTOR_WORKER_FAILED');
      await detector.close();
      expect((await refusal(detector.run((tensors[0] as Float32Array).slice()))).code).toBe('MODEL_RETIRED');
    }
  });

  it('refuses to load with DETECTOR_WORKER_FAILED when the worker script cannot start', async () => {
    const r = await refusal(
      loadWorkerDetector(bundle, threads, { workerUrl: new URL('./no-such-worker.ts', import.meta.url) }),
    );
    expect(r).toBeInstanceOf(DetectorError);
    expect(r.code).toBe('DETECTOR_WORKER_FAILED');
  });

  it('refuses bad models with the same ModelIntegrityError codes as the in-thread detector', async () => {
    const nan = await bundleOf(tinyModel({ height: 5, width: 4, rows: 5, ops: ['Neg', 'Sqrt'] }));
    const symbolic = await bundleOf(
      tinyModel({ height: 5, width: 4, rows: 6, ops: [], declaredOutput: [1, 'rows', 'anchors'] }),
      { edit: (m) => ({ ...m, output: { ...m.output, shape: [1, 5, 12] } }) },
    );
    const truncated = { ...bundle, modelBytes: bundle.modelBytes.subarray(0, 1000) };
    for (const worker of [true, false]) {
      const cases = [
        [nan, 'MODEL_PROBE_NOT_FINITE', /the probe inference gave NaN at output index 0/],
        [
          symbolic,
          'MODEL_SHAPE_MISMATCH',
          /output output0 is float32 \[1,6,10\], the manifest says float32 \[1,5,12\]/,
        ],
        [truncated, 'MODEL_LOAD_FAILED', /cannot be loaded by onnxruntime/],
      ] as const;
      for (const [b, code, message] of cases) {
        const r = await refusal(loadDetector(b, { ...threads, worker }));
        expect(r, `${code}, worker ${worker}`).toBeInstanceOf(ModelIntegrityError);
        expect(r.code).toBe(code);
        expect(r.message).toMatch(message);
      }
    }
    await expect(loadDetector(bundle, { intraOpThreads: -1, interOpThreads: 1 })).rejects.toThrow(RangeError);
    // A nice value out of range is refused before a thread starts, naming the option and the value.
    await expect(loadDetector(bundle, { ...threads, worker: true, pipelineNice: 20 })).rejects.toThrow(
      /loadDetector pipelineNice: nice must be an integer from 0 to 19, got 20/,
    );
  });
});
