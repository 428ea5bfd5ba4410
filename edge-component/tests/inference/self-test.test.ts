/**
 * runSelfTests with the real demo model. The expected verdicts are what the model itself gives for a
 * sample now (inspected once here), so the test follows a retrained model; the fidelity to the Python
 * reference is checked in reference-pipeline.test.ts.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDetector } from '../../src/adapters/onnx-detector.ts';
import { createSharpImagePreparer } from '../../src/adapters/sharp-image-preparer.ts';
import { inspectImage } from '../../src/inference/inspect-image.ts';
import { runSelfTests } from '../../src/inference/self-test.ts';
import type { Detector } from '../../src/ports.ts';
import { demoBundle, MODEL_DIR } from './real-model.ts';

const preparer = createSharpImagePreparer({ maxFileBytes: 20_000_000, maxPixels: 4096 * 4096 });
const threads = { intraOpThreads: 1, interOpThreads: 1 };
const SAMPLE = 'samples/scratch-01.jpg';

async function verdictNow(detector: Detector, file: string) {
  const image = await preparer.admit({ path: join(MODEL_DIR, file), sizeBytes: 0, mtimeMs: 0 });
  return (await inspectImage(await preparer.prepare(image, detector.manifest.input), detector, { thingName: 't' }))
    .verdict;
}

describe('runSelfTests', () => {
  it('passes when each self-test image gets its expected verdict, and fails naming the image otherwise', async () => {
    const plain = await demoBundle('int8');
    const probe = await loadDetector(plain, threads);
    const verdict = await verdictNow(probe, SAMPLE).finally(() => probe.close());
    const wrong = verdict === 'defect' ? 'ok' : 'defect';
    const bundle = await demoBundle('int8', undefined, [
      { file: SAMPLE, expectedVerdict: verdict },
      { file: SAMPLE, expectedVerdict: wrong },
    ]);
    const detector = await loadDetector(bundle, threads);
    try {
      const result = await runSelfTests(bundle, detector, preparer);
      expect(result).toMatchObject({ passed: false, modelSha256: bundle.modelSha256, cases: 2 });
      expect(result.failures).toHaveLength(1);
      expect(result.failures[0]).toContain(`${SAMPLE}: expected ${wrong}, got ${verdict}`);

      const passing = await demoBundle('int8', undefined, [{ file: SAMPLE, expectedVerdict: verdict }]);
      expect(await runSelfTests(passing, detector, preparer)).toEqual({
        passed: true,
        modelSha256: bundle.modelSha256,
        cases: 1,
        failures: [],
      });
    } finally {
      await detector.close();
    }
  });

  it('counts an image that cannot be inspected as a failure with its reason (no crash)', async () => {
    const bundle = await demoBundle('int8', undefined, [{ file: SAMPLE, expectedVerdict: 'ok' }]);
    const detector = await loadDetector(bundle, threads);
    const refusing = {
      admit: preparer.admit,
      prepare: async () => {
        throw Object.assign(new Error('cannot decode'), { code: 'IMAGE_CORRUPT' });
      },
    };
    try {
      const result = await runSelfTests(bundle, detector, refusing);
      expect(result.passed).toBe(false);
      expect(result.failures).toEqual([`${SAMPLE}: cannot be inspected: IMAGE_CORRUPT: cannot decode`]);
    } finally {
      await detector.close();
    }
  });

  it('passes with no self-test images', async () => {
    const bundle = await demoBundle('fp32');
    const detector = await loadDetector(bundle, threads);
    try {
      expect(await runSelfTests(bundle, detector, preparer)).toMatchObject({ passed: true, cases: 0, failures: [] });
    } finally {
      await detector.close();
    }
  });
});
