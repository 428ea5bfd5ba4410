/**
 * runSelfTests with the real demo model: the expected verdicts are derived at test time from the
 * model's own reference outputs (as the demo bundle does), never hard-coded.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDetector } from '../../src/adapters/onnx-detector.ts';
import { createSharpImagePreparer } from '../../src/adapters/sharp-image-preparer.ts';
import { verdictOf } from '../../src/core/verdict.ts';
import { runSelfTests } from '../../src/inference/self-test.ts';
import { demoBundle, MODEL_DIR } from './real-model.ts';

const preparer = createSharpImagePreparer({ maxFileBytes: 20_000_000, maxPixels: 4096 * 4096 });
const threads = { intraOpThreads: 1, interOpThreads: 1 };

/** A sample whose reference verdict (at the default thresholds) is clear of both thresholds. */
async function referenceCase(modelSha256: string) {
  const names = (await readdir(join(MODEL_DIR, 'reference'))).filter((f) => f.endsWith('.json')).sort();
  for (const name of names) {
    const ref = JSON.parse(await readFile(join(MODEL_DIR, 'reference', name), 'utf8')) as {
      image: string;
      modelSha256: string;
      detections: { score: number }[];
    };
    if (ref.modelSha256 !== modelSha256) continue;
    const best = Math.max(0, ...ref.detections.map((d) => d.score));
    if ([0.25, 0.5].some((t) => Math.abs(best - t) < 0.05)) continue;
    return { file: ref.image, expectedVerdict: verdictOf([{ confidence: best }], { review: 0.25, defect: 0.5 }) };
  }
  throw new Error(`no reference output of the current model (sha256 ${modelSha256}) in ${MODEL_DIR}/reference`);
}

describe('runSelfTests', () => {
  it('passes when each self-test image gets its expected verdict, and fails naming the image otherwise', async () => {
    const plain = await demoBundle('int8');
    const good = await referenceCase(plain.modelSha256);
    const wrong = {
      ...good,
      expectedVerdict: good.expectedVerdict === 'defect' ? ('ok' as const) : ('defect' as const),
    };
    const bundle = await demoBundle('int8', undefined, [good, wrong]);
    const detector = await loadDetector(bundle, threads);
    try {
      const result = await runSelfTests(bundle, detector, preparer);
      expect(result).toMatchObject({ passed: false, modelSha256: bundle.modelSha256, cases: 2 });
      expect(result.failures).toHaveLength(1);
      expect(result.failures[0]).toContain(
        `${good.file}: expected ${wrong.expectedVerdict}, got ${good.expectedVerdict}`,
      );

      const passing = await demoBundle('int8', undefined, [good]);
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
    const good = await referenceCase((await demoBundle('int8')).modelSha256);
    const bundle = await demoBundle('int8', undefined, [good]);
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
      expect(result.failures).toEqual([`${good.file}: cannot be inspected: IMAGE_CORRUPT: cannot decode`]);
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
