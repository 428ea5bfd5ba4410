/**
 * STAND-IN, until the inference pieces of the interface plan land (adapters/sharp-image-preparer.ts,
 * adapters/onnx-detector.ts, inference/inspect-image.ts, inference/self-test.ts): the smallest real
 * versions, so that the agent binary, its tests and the rollout run end to end. Same signatures as
 * planned; main.ts switches to the real ones when they are committed, and this file goes.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Manifest, Thresholds } from '@edgeqc/model-component/manifest';
import * as ort from 'onnxruntime-node';
import sharp, { type Metadata } from 'sharp';
import { INSPECTION_SCHEMA_ID, type Inspection, InspectionSchema } from '../../contracts/inspection.ts';
import type { Detection, LetterboxGeometry, SelfTestResult, VerifiedBundle } from '../../core/types.ts';
import { ImageRejectedError, ModelIntegrityError } from '../../errors.ts';
import type { AdmittedImage, CameraFile, Detector, ImagePreparer, PreparedImage } from '../../ports.ts';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function sniff(bytes: Uint8Array): 'jpeg' | 'png' | undefined {
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (PNG.every((b, i) => bytes[i] === b)) return 'png';
  return undefined;
}

export function admitBytes(path: string, bytes: Uint8Array, mtimeMs: number, maxFileBytes: number): AdmittedImage {
  const file = path.slice(path.lastIndexOf('/') + 1);
  if (bytes.length === 0) throw new ImageRejectedError('IMAGE_EMPTY', `${path} is empty (0 bytes)`);
  if (bytes.length > maxFileBytes) {
    throw new ImageRejectedError('IMAGE_TOO_LARGE', `${path} has ${bytes.length} bytes, more than ${maxFileBytes}`);
  }
  const format = sniff(bytes);
  if (!format) {
    throw new ImageRejectedError('IMAGE_UNSUPPORTED_FORMAT', `${path} is neither JPEG nor PNG (magic bytes)`);
  }
  return { path, file, bytes, sha256: sha256(bytes), format, sizeBytes: bytes.length, mtimeMs };
}

/** Letterbox as Ultralytics does it: scale to fit, centre, pad (left/top rounded as round(d - 0.1)). */
function letterbox(w: number, h: number, inW: number, inH: number): LetterboxGeometry {
  const scale = Math.min(inW / w, inH / h);
  const resizedWidth = Math.max(1, Math.round(w * scale));
  const resizedHeight = Math.max(1, Math.round(h * scale));
  return {
    sourceWidth: w,
    sourceHeight: h,
    inputWidth: inW,
    inputHeight: inH,
    scale,
    resizedWidth,
    resizedHeight,
    padLeft: Math.round((inW - resizedWidth) / 2 - 0.1),
    padTop: Math.round((inH - resizedHeight) / 2 - 0.1),
  };
}

export function createFallbackPreparer(options: { maxFileBytes: number; maxPixels: number }): ImagePreparer {
  return {
    async admit(f: CameraFile) {
      if (f.sizeBytes > options.maxFileBytes) {
        throw new ImageRejectedError(
          'IMAGE_TOO_LARGE',
          `${f.path} has ${f.sizeBytes} bytes, more than ${options.maxFileBytes}`,
        );
      }
      return admitBytes(f.path, new Uint8Array(await readFile(f.path)), f.mtimeMs, options.maxFileBytes);
    },
    async prepare(image, input) {
      const t0 = performance.now();
      const opts = { failOn: 'truncated' as const, limitInputPixels: options.maxPixels };
      let meta: Metadata;
      try {
        meta = await sharp(image.bytes, opts).metadata();
      } catch (cause) {
        const text = (cause as Error).message;
        if (/pixel limit/i.test(text)) {
          throw new ImageRejectedError(
            'IMAGE_TOO_MANY_PIXELS',
            `${image.path} has more than ${options.maxPixels} pixels (${text})`,
            { cause },
          );
        }
        throw new ImageRejectedError('IMAGE_CORRUPT', `${image.path} cannot be decoded: ${text}`, { cause });
      }
      const rotated = (meta.orientation ?? 1) >= 5;
      const width = (rotated ? meta.height : meta.width) ?? 0;
      const height = (rotated ? meta.width : meta.height) ?? 0;
      if (width * height > options.maxPixels) {
        throw new ImageRejectedError(
          'IMAGE_TOO_MANY_PIXELS',
          `${image.path} has ${width}x${height} pixels, more than ${options.maxPixels}`,
        );
      }
      const [, , inH, inW] = input.shape;
      const g = letterbox(width, height, inW, inH);
      const pad = input.resize.padValue;
      let raw: Buffer;
      const t1 = performance.now();
      try {
        raw = await sharp(image.bytes, opts)
          .rotate()
          .resize(g.resizedWidth, g.resizedHeight, { fit: 'fill' })
          .extend({
            left: g.padLeft,
            top: g.padTop,
            right: inW - g.resizedWidth - g.padLeft,
            bottom: inH - g.resizedHeight - g.padTop,
            background: { r: pad, g: pad, b: pad },
          })
          .removeAlpha()
          .toColourspace('srgb')
          .raw()
          .toBuffer();
      } catch (cause) {
        const text = (cause as Error).message;
        const code = /truncat|premature|end of/i.test(text) ? 'IMAGE_TRUNCATED' : 'IMAGE_CORRUPT';
        throw new ImageRejectedError(code, `${image.path} cannot be decoded: ${text}`, { cause });
      }
      const plane = inW * inH;
      const tensor = new Float32Array(3 * plane);
      // One lookup table per output channel: value = (pixel - mean) / std.
      const { mean, std } = input.normalization;
      const lut = [0, 1, 2].map((c) =>
        Float32Array.from({ length: 256 }, (_, v) => (v - (mean[c] as number)) / (std[c] as number)),
      );
      const [l0, l1, l2] = lut as [Float32Array, Float32Array, Float32Array];
      const [s0, s1, s2] = input.colorOrder === 'RGB' ? [0, 1, 2] : [2, 1, 0];
      for (let i = 0, j = 0; i < plane; i += 1, j += 3) {
        tensor[i] = l0[raw[j + s0] as number] as number;
        tensor[plane + i] = l1[raw[j + s1] as number] as number;
        tensor[2 * plane + i] = l2[raw[j + s2] as number] as number;
      }
      return {
        image,
        width,
        height,
        tensor,
        geometry: g,
        timingsMs: { decode: t1 - t0, preprocess: performance.now() - t1 },
      } satisfies PreparedImage;
    },
  };
}

export async function loadFallbackDetector(
  bundle: VerifiedBundle,
  options: { intraOpThreads: number; interOpThreads: number },
): Promise<Detector> {
  const m = bundle.manifest;
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bundle.modelBytes, {
      intraOpNumThreads: options.intraOpThreads,
      interOpNumThreads: options.interOpThreads,
      graphOptimizationLevel: 'all',
    });
  } catch (cause) {
    throw new ModelIntegrityError('MODEL_LOAD_FAILED', `${bundle.modelPath} cannot be loaded by onnxruntime`, {
      cause,
    });
  }
  if (!session.inputNames.includes(m.input.name) || !session.outputNames.includes(m.output.name)) {
    await session.release();
    throw new ModelIntegrityError(
      'MODEL_SHAPE_MISMATCH',
      `${bundle.modelPath}: inputs ${session.inputNames.join(',')} / outputs ${session.outputNames.join(',')}, manifest says ${m.input.name} / ${m.output.name}`,
    );
  }
  const run = async (tensor: Float32Array) => {
    const feeds = { [m.input.name]: new ort.Tensor('float32', tensor, [...m.input.shape]) };
    const out = (await session.run(feeds))[m.output.name] as ort.Tensor;
    return { data: out.data as Float32Array, dims: [...out.dims] };
  };
  const probe = await run(new Float32Array(m.input.shape.reduce((a, b) => a * b, 1)).fill(0.5));
  if (JSON.stringify(probe.dims) !== JSON.stringify(m.output.shape) || !probe.data.every(Number.isFinite)) {
    await session.release();
    throw new ModelIntegrityError(
      'MODEL_SHAPE_MISMATCH',
      `${bundle.modelPath}: probe output ${JSON.stringify(probe.dims)} (finite: ${probe.data.every(Number.isFinite)}), manifest says ${JSON.stringify(m.output.shape)}`,
    );
  }
  return {
    manifest: m,
    model: { name: m.name, version: m.version, sha256: bundle.modelSha256, precision: m.precision },
    run,
    close: () => session.release(),
  };
}

function iou(a: number[], b: number[]): number {
  const w = Math.max(0, Math.min(a[2] as number, b[2] as number) - Math.max(a[0] as number, b[0] as number));
  const h = Math.max(0, Math.min(a[3] as number, b[3] as number) - Math.max(a[1] as number, b[1] as number));
  const inter = w * h;
  const area = (r: number[]) => ((r[2] as number) - (r[0] as number)) * ((r[3] as number) - (r[1] as number));
  return inter / Math.max(1e-9, area(a) + area(b) - inter);
}

export function decodeYoloOutput(
  data: Float32Array,
  dims: readonly number[],
  m: Manifest,
  t: Thresholds,
  g: LetterboxGeometry,
): Detection[] {
  const rows = dims[1] as number;
  const n = dims[2] as number;
  const nc = rows - 4;
  const candidates: { box: number[]; score: number; cls: number }[] = [];
  for (let a = 0; a < n; a += 1) {
    let best = -1;
    let cls = 0;
    for (let c = 0; c < nc; c += 1) {
      const s = data[(4 + c) * n + a] as number;
      if (s > best) {
        best = s;
        cls = c;
      }
    }
    if (!(best > t.confidence) || !Number.isFinite(best)) continue;
    const cx = data[a] as number;
    const cy = data[n + a] as number;
    const w = data[2 * n + a] as number;
    const h = data[3 * n + a] as number;
    if (![cx, cy, w, h].every(Number.isFinite)) continue;
    candidates.push({ box: [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], score: best, cls });
  }
  candidates.sort((x, y) => y.score - x.score);
  const kept: typeof candidates = [];
  for (const c of candidates) {
    if (kept.length >= t.maxDetections) break;
    if (kept.some((k) => k.cls === c.cls && iou(k.box, c.box) > t.iou)) continue;
    kept.push(c);
  }
  const W = g.sourceWidth;
  const H = g.sourceHeight;
  const clampX = (v: number) => Math.min(W, Math.max(0, (v - g.padLeft) / g.scale));
  const clampY = (v: number) => Math.min(H, Math.max(0, (v - g.padTop) / g.scale));
  return kept.map((k) => {
    const x1 = clampX(k.box[0] as number);
    const y1 = clampY(k.box[1] as number);
    const x2 = clampX(k.box[2] as number);
    const y2 = clampY(k.box[3] as number);
    const box = { x: x1, y: y1, width: x2 - x1, height: y2 - y1 };
    return {
      label: m.classes[k.cls] ?? String(k.cls),
      classId: k.cls,
      confidence: Math.min(1, Math.max(0, k.score)),
      box,
      boxNormalized: {
        x: Math.min(1, x1 / W),
        y: Math.min(1, y1 / H),
        width: Math.min(1, box.width / W),
        height: Math.min(1, box.height / H),
      },
    };
  });
}

const verdictOf = (d: readonly Detection[], t: Thresholds) => {
  const best = d.reduce((s, x) => Math.max(s, x.confidence), 0);
  return best >= t.defect ? 'defect' : best >= t.review ? 'unclear' : 'ok';
};

export async function fallbackInspectImage(
  prepared: PreparedImage,
  detector: Detector,
  options: { thingName: string; thresholds?: Partial<Thresholds>; now?: () => Date },
): Promise<Inspection> {
  const m = detector.manifest;
  const t: Thresholds = { ...m.thresholds, ...options.thresholds };
  const t0 = performance.now();
  const raw = await detector.run(prepared.tensor);
  const t1 = performance.now();
  const detections = decodeYoloOutput(raw.data, raw.dims, m, t, prepared.geometry);
  const t2 = performance.now();
  const timings = { ...prepared.timingsMs, inference: t1 - t0, postprocess: t2 - t1 };
  return InspectionSchema.parse({
    schema: INSPECTION_SCHEMA_ID,
    messageId: sha256(new TextEncoder().encode(`${prepared.image.sha256}:${detector.model.sha256}`)),
    thingName: options.thingName,
    image: { file: prepared.image.file, sha256: prepared.image.sha256, width: prepared.width, height: prepared.height },
    capturedAt: new Date(prepared.image.mtimeMs).toISOString(),
    inspectedAt: (options.now?.() ?? new Date()).toISOString(),
    model: detector.model,
    verdict: verdictOf(detections, t),
    thresholds: { confidence: t.confidence, iou: t.iou, review: t.review, defect: t.defect },
    detections,
    timingsMs: { ...timings, total: timings.decode + timings.preprocess + timings.inference + timings.postprocess },
  });
}

export async function fallbackRunSelfTests(
  bundle: VerifiedBundle,
  detector: Detector,
  preparer: ImagePreparer,
): Promise<SelfTestResult> {
  const failures: string[] = [];
  for (const c of bundle.manifest.selfTest) {
    const path = join(bundle.dir, c.file);
    const image = admitBytes(path, new Uint8Array(await readFile(path)), 0, Number.MAX_SAFE_INTEGER);
    const prepared = await preparer.prepare(image, bundle.manifest.input);
    const inspection = await fallbackInspectImage(prepared, detector, { thingName: 'self-test' });
    if (inspection.verdict !== c.expectedVerdict) {
      failures.push(`${c.file}: expected ${c.expectedVerdict}, got ${inspection.verdict}`);
    }
  }
  return {
    passed: failures.length === 0,
    modelSha256: bundle.modelSha256,
    cases: bundle.manifest.selfTest.length,
    failures,
  };
}
