/** The onnxruntime detector with the real demo model (read at test time). */
import { describe, expect, it } from 'vitest';
import { loadDetector, sessionOptionsFor } from '../../src/adapters/onnx-detector.ts';
import { demoBundle } from './real-model.ts';

const threads = { intraOpThreads: 1, interOpThreads: 1 };

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return { code: (err as { code: string }).code, message: (err as Error).message };
  }
  throw new Error('expected a refusal');
}

describe('loadDetector (onnxruntime)', () => {
  it('loads the demo model, checked against its manifest, and runs it', async () => {
    const bundle = await demoBundle('int8');
    const detector = await loadDetector(bundle, threads);
    try {
      expect(detector.model).toEqual({
        name: 'tag-scratch',
        version: '1.0.0',
        sha256: bundle.modelSha256,
        precision: 'int8',
      });
      const size = bundle.manifest.input.shape.reduce((a, b) => a * b, 1);
      const out = await detector.run(new Float32Array(size).fill(114 / 255));
      expect(out.dims).toEqual(bundle.manifest.output.shape);
      expect(out.data).toHaveLength(bundle.manifest.output.shape.reduce((a, b) => a * b, 1));
      expect(out.data.every(Number.isFinite)).toBe(true);
      await expect(detector.run(new Float32Array(10))).rejects.toThrow(/input tensor has 10 values/);
    } finally {
      await detector.close();
    }
  });

  it('refuses a run after close (MODEL_RETIRED); close twice is harmless', async () => {
    const bundle = await demoBundle('int8');
    const detector = await loadDetector(bundle, threads);
    await detector.close();
    await detector.close();
    const size = bundle.manifest.input.shape.reduce((a, b) => a * b, 1);
    expect((await refusal(detector.run(new Float32Array(size)))).code).toBe('MODEL_RETIRED');
  });

  it('refuses a manifest whose input name, input size or class count does not match the model', async () => {
    const wrongName = await demoBundle('int8', (m) => ({ ...m, input: { ...m.input, name: 'pixels' } }));
    const r1 = await refusal(loadDetector(wrongName, threads));
    expect(r1.code).toBe('MODEL_SHAPE_MISMATCH');
    expect(r1.message).toMatch(/the manifest says \[pixels\]/);

    const wrongSize = await demoBundle('int8', (m) => ({ ...m, input: { ...m.input, shape: [1, 3, 320, 320] } }));
    const r2 = await refusal(loadDetector(wrongSize, threads));
    expect(r2.code).toBe('MODEL_SHAPE_MISMATCH');
    expect(r2.message).toMatch(/\[1,3,320,320\]/);

    const moreClasses = await demoBundle('int8', (m) => {
      const [one, , anchors] = m.output.shape;
      return {
        ...m,
        classes: [...m.classes, 'dent'],
        output: { ...m.output, shape: [one, 4 + m.classes.length + 1, anchors] },
      };
    });
    const r3 = await refusal(loadDetector(moreClasses, threads));
    expect(r3.code).toBe('MODEL_SHAPE_MISMATCH');
    expect(r3.message).toMatch(/classes/);
  });

  it('refuses bytes that are not an ONNX model (MODEL_LOAD_FAILED)', async () => {
    const bundle = await demoBundle('int8');
    const r = await refusal(loadDetector({ ...bundle, modelBytes: bundle.modelBytes.subarray(0, 1000) }, threads));
    expect(r.code).toBe('MODEL_LOAD_FAILED');
    expect(r.message).toContain(bundle.modelPath);
  });

  it('uses the memory settings chosen by measurement and checks thread counts', () => {
    expect(sessionOptionsFor({ intraOpThreads: 0, interOpThreads: 1 })).toMatchObject({
      intraOpNumThreads: 0,
      graphOptimizationLevel: 'all',
      enableCpuMemArena: true,
      enableMemPattern: false,
    });
    expect(() => sessionOptionsFor({ intraOpThreads: -1, interOpThreads: 1 })).toThrow(/intraOpThreads/);
  });
});
