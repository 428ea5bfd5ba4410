/**
 * Test support: a VerifiedBundle of the demo model built in memory (as verifyModelBundle would return
 * it), with the input/output shapes read from the model itself, so nothing about the model (which is
 * retrained from time to time) is hard-coded here.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildManifest, MANIFEST_SCHEMA_ID, type ManifestInput } from '@edgeqc/model-component/manifest';
import * as ort from 'onnxruntime-node';
import type { VerifiedBundle } from '../../src/core/types.ts';
import { yoloInput } from '../support/yolo-input.ts';

export const MODEL_DIR = join(import.meta.dirname, '..', '..', '..', 'model-component', 'models', 'tag-scratch');
export const SAMPLES_DIR = join(MODEL_DIR, 'samples');

interface TensorMeta {
  name: string;
  shape: number[];
}

async function signatureOf(bytes: Uint8Array): Promise<{ input: TensorMeta; output: TensorMeta }> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const meta = (v: ort.InferenceSession.ValueMetadata): TensorMeta => ({
      name: v.name,
      shape: v.isTensor ? v.shape.map((d) => (typeof d === 'number' ? d : 1)) : [],
    });
    return { input: meta(session.inputMetadata[0]!), output: meta(session.outputMetadata[0]!) };
  } finally {
    await session.release();
  }
}

/** The demo model (int8 or fp32) as a verified bundle; `edit` changes the manifest (to make it lie). */
export async function demoBundle(
  precision: 'int8' | 'fp32' = 'int8',
  edit: (m: ManifestInput) => ManifestInput = (m) => m,
  selfTest: { file: string; expectedVerdict: 'ok' | 'defect' | 'unclear' }[] = [],
): Promise<VerifiedBundle> {
  const modelPath = join(MODEL_DIR, `model.${precision}.onnx`);
  const labels = (await readFile(join(MODEL_DIR, 'labels.txt'), 'utf8')).split('\n').filter((l) => l.trim());
  return bundleOf(new Uint8Array(await readFile(modelPath)), { modelPath, precision, labels, edit, selfTest });
}

/** Any model's bytes as a verified bundle in MODEL_DIR, its manifest describing the model as it is. */
export async function bundleOf(
  modelBytes: Uint8Array,
  options: {
    modelPath?: string;
    precision?: 'int8' | 'fp32';
    labels?: string[];
    edit?: (m: ManifestInput) => ManifestInput;
    selfTest?: { file: string; expectedVerdict: 'ok' | 'defect' | 'unclear' }[];
  } = {},
): Promise<VerifiedBundle> {
  const { precision = 'fp32', labels = ['scratch'], edit = (m) => m, selfTest = [] } = options;
  const modelPath = options.modelPath ?? join(MODEL_DIR, 'test-model.onnx');
  const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
  const { input, output } = await signatureOf(modelBytes);
  const tests = await Promise.all(
    selfTest.map(async (t) => {
      const bytes = await readFile(join(MODEL_DIR, t.file));
      return { file: t.file, sizeBytes: bytes.length, sha256: sha256(bytes), expectedVerdict: t.expectedVerdict };
    }),
  );
  const manifest = buildManifest(
    edit({
      schema: MANIFEST_SCHEMA_ID,
      name: 'tag-scratch',
      version: '1.0.0',
      createdAt: '2026-11-23T00:00:00Z',
      model: { file: 'model.onnx', sizeBytes: modelBytes.length, sha256: sha256(modelBytes) },
      input: yoloInput(input.shape[3] as number, input.shape[2] as number, { name: input.name }),
      output: { name: output.name, shape: output.shape as [1, number, number], format: 'yolov8-detect' },
      classes: labels,
      thresholds: {},
      precision,
      opset: 17,
      selfTest: tests,
    }),
  );
  return { dir: MODEL_DIR, manifest, modelPath, modelBytes, modelSha256: sha256(modelBytes), keyId: 'sha256:test' };
}
