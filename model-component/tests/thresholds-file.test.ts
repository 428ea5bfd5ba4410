import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { packageModel } from '../src/package.ts';
import { createPemSigner, generateDevKeyPair } from '../src/sign/signers.ts';
import { readModelThresholds, THRESHOLDS_FILE } from '../src/thresholds-file.ts';
import { DEMO_INT8 } from './helpers/fixtures.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgeqc-thresholds-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const model = () => join(dir, 'model.onnx');
const writeThresholds = (text: string) => writeFile(join(dir, THRESHOLDS_FILE), text);

describe('thresholds.json beside the model', () => {
  it('gives nothing when there is no file, and exactly the keys the file gives when there is', async () => {
    expect(await readModelThresholds(dir)).toEqual({});
    await writeThresholds('{"iou": 0.5, "defect": 0.6}');
    expect(await readModelThresholds(dir)).toEqual({ iou: 0.5, defect: 0.6 });
  });

  it('names the file and what was expected for bad content', async () => {
    await writeThresholds('{"iou": 0.5,');
    await expect(readModelThresholds(dir)).rejects.toMatchObject({
      name: 'ModelValidationError',
      code: 'THRESHOLDS_INVALID',
      message: expect.stringContaining(join(dir, THRESHOLDS_FILE)),
    });
    await writeThresholds('{"iou": 5}');
    await expect(readModelThresholds(dir)).rejects.toThrow(/thresholds\.json: expected an object .*iou/);
    await writeThresholds('{"nms": 0.5}');
    await expect(readModelThresholds(dir)).rejects.toThrow(/thresholds\.json: expected .*nms/);
    await writeThresholds('[]');
    await expect(readModelThresholds(dir)).rejects.toMatchObject({ code: 'THRESHOLDS_INVALID' });
  });

  it('is what packaging puts in the manifest, under explicitly given thresholds', async () => {
    await copyFile(DEMO_INT8, model());
    await writeThresholds('{"iou": 0.5, "defect": 0.6}');
    const r = await packageModel(
      { signer: createPemSigner(generateDevKeyPair('ed25519').privateKeyPem) },
      {
        modelPath: model(),
        name: 'm',
        version: '1.0.0',
        labels: ['scratch'],
        thresholds: { defect: 0.7 },
        outDir: join(dir, 'out'),
      },
    );
    expect(r.manifest.thresholds).toEqual({
      confidence: 0.25,
      iou: 0.5,
      review: 0.25,
      defect: 0.7,
      maxDetections: 300,
    });
  });
});
