/**
 * Validates an ONNX model before anything is packaged: it loads in onnxruntime, takes one image tensor
 * [1, 3, H, W] float32, gives one YOLOv8 detection output [1, 4 + classes, anchors], a probe inference
 * is finite, and it is within the size limits. Precision and opset come from the graph itself.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { ModelValidationError } from '../errors.ts';
import { defaultOpset, detectPrecision, readOnnxGraph } from './onnx-graph.ts';

export interface ModelLimits {
  /** Largest model file accepted. Default: 256 MiB (a device downloads it over a slow link). */
  readonly maxModelBytes?: number;
  /** Largest input side in pixels. Default: 2048. */
  readonly maxInputSidePx?: number;
  /** Opset range onnxruntime-node 1.30 runs. Default: 11..23. */
  readonly minOpset?: number;
  readonly maxOpset?: number;
}

export interface ValidatedModel {
  readonly sizeBytes: number;
  readonly sha256: string;
  readonly input: { readonly name: string; readonly shape: [1, 3, number, number] };
  readonly output: { readonly name: string; readonly shape: [1, number, number] };
  readonly classCount: number;
  readonly precision: 'int8' | 'fp32';
  readonly opset: number;
}

const DEFAULTS = { maxModelBytes: 256 * 1024 * 1024, maxInputSidePx: 2048, minOpset: 11, maxOpset: 23 };
const YOLO_STRIDES = [8, 16, 32] as const;

function fail(code: string, message: string, cause?: unknown): never {
  throw new ModelValidationError(code, message, cause === undefined ? undefined : { cause });
}

function staticDims(label: string, shape: readonly (number | string)[]): number[] {
  return shape.map((d, i) => {
    if (typeof d !== 'number' || !Number.isInteger(d) || d <= 0) {
      fail(
        'MODEL_DYNAMIC_SHAPE',
        `${label} dimension ${i} is '${d}': expected a static shape (export with dynamic=False)`,
      );
    }
    return d;
  });
}

/** Validates the model at `modelPath`. `classCount`, when given (from the labels), must match the output. */
export async function validateModel(
  modelPath: string,
  options: { classCount?: number; limits?: ModelLimits } = {},
): Promise<ValidatedModel> {
  const limits = { ...DEFAULTS, ...options.limits };
  let sizeBytes: number;
  try {
    sizeBytes = (await stat(modelPath)).size;
  } catch (cause) {
    return fail('MODEL_NOT_FOUND', `model file ${modelPath} cannot be read`, cause);
  }
  if (sizeBytes === 0 || sizeBytes > limits.maxModelBytes) {
    fail('MODEL_SIZE', `model file ${modelPath} is ${sizeBytes} bytes: expected 1..${limits.maxModelBytes}`);
  }
  const bytes = await readFile(modelPath);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const graph = readOnnxGraph(bytes);
  const opset = defaultOpset(graph);
  if (opset < limits.minOpset || opset > limits.maxOpset) {
    fail('MODEL_OPSET', `model opset is ${opset}: expected ${limits.minOpset}..${limits.maxOpset}`);
  }
  const precision = detectPrecision(graph);

  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  } catch (cause) {
    return fail('MODEL_LOAD_FAILED', `onnxruntime cannot load ${modelPath}: ${(cause as Error).message}`, cause);
  }
  try {
    if (session.inputMetadata.length !== 1) {
      fail(
        'MODEL_INPUTS',
        `model has ${session.inputMetadata.length} inputs (${session.inputNames.join(', ')}): expected one image tensor`,
      );
    }
    const inMeta = session.inputMetadata[0] as ort.InferenceSession.ValueMetadata;
    if (!inMeta.isTensor || inMeta.type !== 'float32') {
      fail(
        'MODEL_INPUTS',
        `model input '${inMeta.name}' is ${inMeta.isTensor ? inMeta.type : 'not a tensor'}: expected float32`,
      );
    }
    const inShape = staticDims(`input '${inMeta.name}'`, inMeta.shape);
    const [n, c, h, w] = inShape;
    if (inShape.length !== 4 || n !== 1 || c !== 3 || h === undefined || w === undefined) {
      fail(
        'MODEL_INPUTS',
        `model input '${inMeta.name}' has shape [${inShape.join(', ')}]: expected [1, 3, H, W] (NCHW RGB)`,
      );
    }
    if (h > limits.maxInputSidePx || w > limits.maxInputSidePx || h % 32 !== 0 || w % 32 !== 0) {
      fail('MODEL_INPUTS', `model input is ${w}x${h} px: expected multiples of 32 up to ${limits.maxInputSidePx}`);
    }

    if (session.outputMetadata.length !== 1) {
      fail(
        'MODEL_OUTPUTS',
        `model has ${session.outputMetadata.length} outputs (${session.outputNames.join(', ')}): expected one YOLOv8 detection output`,
      );
    }
    const outMeta = session.outputMetadata[0] as ort.InferenceSession.ValueMetadata;
    if (!outMeta.isTensor || outMeta.type !== 'float32') {
      fail(
        'MODEL_OUTPUTS',
        `model output '${outMeta.name}' is ${outMeta.isTensor ? outMeta.type : 'not a tensor'}: expected float32`,
      );
    }
    const outShape = staticDims(`output '${outMeta.name}'`, outMeta.shape);
    const [ob, rows, anchors] = outShape;
    const expectedAnchors = YOLO_STRIDES.reduce((sum, s) => sum + (h / s) * (w / s), 0);
    if (outShape.length !== 3 || ob !== 1 || rows === undefined || rows < 5 || anchors !== expectedAnchors) {
      fail(
        'MODEL_OUTPUTS',
        `model output '${outMeta.name}' has shape [${outShape.join(', ')}]: expected YOLOv8 detection [1, 4 + classes, ${expectedAnchors}] for a ${w}x${h} input`,
      );
    }
    const classCount = rows - 4;
    if (options.classCount !== undefined && options.classCount !== classCount) {
      fail(
        'MODEL_CLASSES',
        `model output has ${rows} rows (4 + ${classCount} classes) but ${options.classCount} labels were given`,
      );
    }

    // Probe: a plain grey letterbox image (114/255), what the agent feeds for padding.
    const probe = new ort.Tensor('float32', new Float32Array(3 * h * w).fill(114 / 255), [1, 3, h, w]);
    let result: ort.InferenceSession.OnnxValueMapType;
    try {
      result = await session.run({ [inMeta.name]: probe });
    } catch (cause) {
      return fail('MODEL_PROBE', `probe inference failed: ${(cause as Error).message}`, cause);
    }
    const out = result[outMeta.name] as ort.Tensor | undefined;
    const data = out?.data;
    if (!(data instanceof Float32Array) || data.length !== rows * anchors) {
      fail('MODEL_PROBE', `probe inference gave ${data?.length ?? 0} values: expected ${rows * anchors} float32`);
    }
    for (let i = 0; i < data.length; i++) {
      const v = data[i] as number;
      if (!Number.isFinite(v)) fail('MODEL_PROBE', `probe inference gave a non-finite value (${v}) at index ${i}`);
      if (i >= 4 * anchors && (v < -1e-3 || v > 1 + 1e-3)) {
        fail(
          'MODEL_PROBE',
          `probe class score ${v} at index ${i} is outside [0, 1]: expected sigmoid scores (YOLOv8 export)`,
        );
      }
    }
    return {
      sizeBytes,
      sha256,
      input: { name: inMeta.name, shape: [1, 3, h, w] },
      output: { name: outMeta.name, shape: [1, rows, anchors] },
      classCount,
      precision,
      opset,
    };
  } finally {
    await session.release();
  }
}
