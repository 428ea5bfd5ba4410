import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelValidationError } from '../../src/errors.ts';
import { defaultOpset, detectPrecision, readOnnxGraph } from '../../src/validate/onnx-graph.ts';
import { validateModel } from '../../src/validate/validate-model.ts';
import { DEMO_FP32, DEMO_INT8 } from '../helpers/fixtures.ts';
import { buildTinyOnnx, type TinyModel } from '../helpers/onnx-builder.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgeqc-validate-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const image = { name: 'images', shape: [1, 3, 64, 64] };
const good: TinyModel = { inputs: [image], output: { name: 'output0', shape: [1, 5, 84], fill: 0.1 } };

async function write(name: string, model: TinyModel | Uint8Array): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, model instanceof Uint8Array ? model : buildTinyOnnx(model));
  return path;
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelValidationError);
  return (err as ModelValidationError).code;
}

describe('validateModel', () => {
  it('accepts the demo INT8 model and reads its contract from the graph', async () => {
    const m = await validateModel(DEMO_INT8, { classCount: 1 });
    expect(m).toMatchObject({
      precision: 'int8',
      opset: 17,
      classCount: 1,
      input: { name: 'images', shape: [1, 3, 800, 800] },
      output: { name: 'output0', shape: [1, 5, 13125] },
    });
    expect(m.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('accepts a minimal well-formed detector (64 px, 84 anchors)', async () => {
    expect((await validateModel(await write('good.onnx', good))).output.shape).toEqual([1, 5, 84]);
  });

  it('refuses a probe inference that gives NaN', async () => {
    const p = await write('nan.onnx', { ...good, output: { ...good.output, fill: Number.NaN } });
    expect(await codeOf(validateModel(p))).toBe('MODEL_PROBE');
  });

  it('refuses class scores outside [0, 1] (logits, not a YOLOv8 export)', async () => {
    const p = await write('logits.onnx', { ...good, output: { ...good.output, fill: 7 } });
    await expect(validateModel(p)).rejects.toThrow(/outside \[0, 1\]/);
  });

  it('refuses an output that is not the YOLOv8 detection layout', async () => {
    const p = await write('layout.onnx', { ...good, output: { ...good.output, shape: [1, 5, 83] } });
    await expect(validateModel(p)).rejects.toThrow(/expected YOLOv8 detection \[1, 4 \+ classes, 84\]/);
    const q = await write('rows.onnx', { ...good, output: { ...good.output, shape: [1, 4, 84] } });
    expect(await codeOf(validateModel(q))).toBe('MODEL_OUTPUTS');
  });

  it('refuses a model with two inputs, or an input that is not [1, 3, H, W]', async () => {
    const two = await write('two.onnx', { ...good, inputs: [image, { name: 'extra', shape: [1] }] });
    await expect(validateModel(two)).rejects.toThrow(/2 inputs \(images, extra\): expected one image tensor/);
    const gray = await write('gray.onnx', { ...good, inputs: [{ name: 'images', shape: [1, 1, 64, 64] }] });
    expect(await codeOf(validateModel(gray))).toBe('MODEL_INPUTS');
  });

  it('refuses a label count that does not match the output rows', async () => {
    expect(await codeOf(validateModel(await write('good2.onnx', good), { classCount: 3 }))).toBe('MODEL_CLASSES');
  });

  it('refuses files over the size limit, empty files, garbage and truncated models', async () => {
    expect(await codeOf(validateModel(DEMO_INT8, { limits: { maxModelBytes: 1000 } }))).toBe('MODEL_SIZE');
    expect(await codeOf(validateModel(await write('empty.onnx', new Uint8Array())))).toBe('MODEL_SIZE');
    expect(await codeOf(validateModel(await write('text.onnx', new TextEncoder().encode('hello world'))))).toBe(
      'ONNX_MALFORMED',
    );
    const bytes = buildTinyOnnx(good);
    expect(await codeOf(validateModel(await write('cut.onnx', bytes.subarray(0, bytes.length - 40))))).toBe(
      'ONNX_MALFORMED',
    );
    expect(await codeOf(validateModel(join(dir, 'missing.onnx')))).toBe('MODEL_NOT_FOUND');
  });

  it('refuses an opset outside the supported range', async () => {
    expect(await codeOf(validateModel(await write('old.onnx', { ...good, opset: 7 })))).toBe('MODEL_OPSET');
  });
});

describe('ONNX graph reader', () => {
  it('finds QDQ nodes in the INT8 demo model and none in the FP32 one', async () => {
    const { readFile } = await import('node:fs/promises');
    const int8 = readOnnxGraph(await readFile(DEMO_INT8));
    const fp32 = readOnnxGraph(await readFile(DEMO_FP32));
    expect(int8.nodes.some((n) => n.opType === 'QuantizeLinear')).toBe(true);
    expect(detectPrecision(int8)).toBe('int8');
    expect(detectPrecision(fp32)).toBe('fp32');
    expect(defaultOpset(fp32)).toBe(17);
  });

  it('calls a graph with QLinearConv or integer ops int8', () => {
    const g = (ops: string[]) => ({
      irVersion: 8,
      opsetImports: [],
      nodes: ops.map((opType) => ({ opType, domain: '' })),
    });
    expect(detectPrecision(g(['QLinearConv', 'Add']))).toBe('int8');
    expect(detectPrecision(g(['MatMulInteger']))).toBe('int8');
    expect(detectPrecision(g(['Conv', 'Sigmoid']))).toBe('fp32');
  });
});
