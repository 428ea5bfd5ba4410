/** The onnxruntime detector with the real demo model (read at test time). */
import { describe, expect, it } from 'vitest';
import { loadDetector, sessionOptionsFor } from '../../src/adapters/onnx-detector.ts';
import { bundleOf, demoBundle } from './real-model.ts';
import { tinyModel } from './tiny-onnx.ts';

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

  it('loads a tiny model made in the test (the control for the two cases below)', async () => {
    const detector = await loadDetector(await bundleOf(tinyModel({ height: 5, width: 4, rows: 5, ops: [] })), threads);
    const out = await detector.run(new Float32Array(60).fill(0.25));
    expect(out.dims).toEqual([1, 5, 12]);
    expect(out.data[0]).toBe(0.25);
    await detector.close();
  });

  it('refuses a model whose probe output is NaN (MODEL_PROBE_NOT_FINITE)', async () => {
    const bundle = await bundleOf(tinyModel({ height: 5, width: 4, rows: 5, ops: ['Neg', 'Sqrt'] }));
    const r = await refusal(loadDetector(bundle, threads));
    expect(r.code).toBe('MODEL_PROBE_NOT_FINITE');
    expect(r.message).toMatch(/the probe inference gave NaN at output index 0/);
  });

  it('refuses a model whose output is not the manifest shape, also when declared with symbolic dims', async () => {
    const model = tinyModel({ height: 5, width: 4, rows: 6, ops: [], declaredOutput: [1, 'rows', 'anchors'] });
    const bundle = await bundleOf(model, {
      edit: (m) => ({ ...m, output: { ...m.output, shape: [1, 5, 12] } }),
    });
    const r = await refusal(loadDetector(bundle, threads));
    expect(r.code).toBe('MODEL_SHAPE_MISMATCH');
    // onnxruntime infers the symbolic dims from the graph, so the declared-shape check sees it.
    expect(r.message).toMatch(/output output0 is float32 \[1,6,10\], the manifest says float32 \[1,5,12\]/);
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
