import { describe, expect, it } from 'vitest';
import { ManifestError } from '../src/errors.ts';
import {
  buildManifest,
  canonicalManifestBytes,
  compareSemver,
  type ManifestInput,
  modelComponentName,
  parseManifestBytes,
} from '../src/manifest.ts';

export const sampleManifest: ManifestInput = {
  schema: 'edgeqc.model-manifest.v1',
  name: 'tag-scratch',
  version: '1.0.0',
  createdAt: '2026-11-22T10:00:00.000Z',
  model: { file: 'model.onnx', sizeBytes: 1234, sha256: 'a'.repeat(64) },
  input: {
    name: 'images',
    shape: [1, 3, 640, 640],
    dtype: 'float32',
    layout: 'NCHW',
    colorOrder: 'RGB',
    normalization: { mean: [0, 0, 0], std: [255, 255, 255] },
    resize: { mode: 'letterbox', padValue: 114 },
  },
  output: { name: 'output0', shape: [1, 5, 8400], format: 'yolov8-detect' },
  classes: ['scratch'],
  thresholds: { confidence: 0.25, iou: 0.7, review: 0.25, defect: 0.5, maxDetections: 300 },
  precision: 'int8',
  opset: 17,
};

describe('manifest', () => {
  it('round-trips through its canonical bytes', () => {
    const m = buildManifest(sampleManifest);
    const bytes = canonicalManifestBytes(m);
    expect(parseManifestBytes(bytes)).toEqual(m);
    expect(new TextDecoder().decode(bytes).endsWith('}\n')).toBe(true);
  });

  it('fills defaults so that the canonical form is explicit', () => {
    const m = buildManifest(sampleManifest);
    expect(m.selfTest).toEqual([]);
  });

  it('rejects a non-canonical encoding of a valid manifest', () => {
    const m = buildManifest(sampleManifest);
    const compact = new TextEncoder().encode(JSON.stringify(m));
    expect(() => parseManifestBytes(compact)).toThrowError(expect.objectContaining({ code: 'MANIFEST_NOT_CANONICAL' }));
  });

  it('rejects an output row count that does not match the classes', () => {
    expect(() => buildManifest({ ...sampleManifest, classes: ['scratch', 'dent'] })).toThrow(ManifestError);
  });

  it('rejects unknown keys and names the offending path', () => {
    expect(() => buildManifest({ ...sampleManifest, extra: 1 } as ManifestInput)).toThrow(/extra/);
    expect(() => buildManifest({ ...sampleManifest, version: 'v1' })).toThrow(/version/);
  });

  it('rejects self-test paths that leave the bundle', () => {
    const selfTest = [{ file: '../etc/passwd', sizeBytes: 1, sha256: 'b'.repeat(64), expectedVerdict: 'ok' as const }];
    expect(() => buildManifest({ ...sampleManifest, selfTest })).toThrow(/selfTest/);
  });

  it('names the Greengrass component after the model', () => {
    expect(modelComponentName('tag-scratch')).toBe('com.edgeqc.Model.tag-scratch');
  });

  it('orders semantic versions by precedence', () => {
    expect(compareSemver('1.10.0', '1.9.9')).toBe(1);
    expect(compareSemver('1.0.0-rc.1', '1.0.0')).toBe(-1);
    expect(compareSemver('1.0.0-rc.2', '1.0.0-rc.10')).toBe(-1);
    expect(compareSemver('2.0.0', '2.0.0')).toBe(0);
  });
});
