/**
 * The model manifest: the data contract between the packager (cloud) and the agent (edge).
 *
 * A model bundle is a folder with `model.onnx`, `manifest.json` and `manifest.sig` (and optional
 * self-test images). `manifest.json` holds exactly the canonical bytes of the manifest
 * (`canonicalManifestBytes`): keys sorted, two-space indentation, a final newline. The signature
 * covers those bytes, so a verifier checks the signature over the raw file first, then parses,
 * then insists that the bytes are canonical (no second encoding of the same manifest is accepted).
 */
import { z } from 'zod';
import { ManifestError } from './errors.ts';

export const MANIFEST_SCHEMA_ID = 'edgeqc.model-manifest.v1';
export const MANIFEST_FILE = 'manifest.json';
export const SIGNATURE_FILE = 'manifest.sig';
export const MODEL_FILE = 'model.onnx';

/** Semantic version, MAJOR.MINOR.PATCH with optional pre-release (Greengrass component versions). */
export const SemverSchema = z
  .string()
  .regex(
    /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/,
    'expected a semantic version such as 1.2.3',
  );

/** Model names become part of a Greengrass component name: com.edgeqc.Model.<name>. */
export const ModelNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'expected lower-case letters, digits and dashes, at most 63');

export const Sha256HexSchema = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lower-case hex digits');

export const VerdictSchema = z.enum(['ok', 'defect', 'unclear']);
export type Verdict = z.infer<typeof VerdictSchema>;

export const PrecisionSchema = z.enum(['int8', 'fp32']);
export type Precision = z.infer<typeof PrecisionSchema>;

/** A bundle-relative POSIX path without `..`, so a manifest cannot point outside its bundle. */
const BundlePathSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^(?!\/)(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9._\-/]+$/, 'expected a relative path inside the bundle');

export const ManifestInputSchema = z.strictObject({
  name: z.string().min(1).describe('Input tensor name, e.g. `images`.'),
  shape: z
    .tuple([z.literal(1), z.literal(3), z.number().int().positive(), z.number().int().positive()])
    .describe('[1, 3, height, width] in pixels.'),
  dtype: z.literal('float32'),
  layout: z.literal('NCHW'),
  colorOrder: z.enum(['RGB', 'BGR']),
  /** value = (pixel - mean) / std per channel; Ultralytics models use mean 0, std 255. */
  normalization: z.strictObject({
    mean: z.tuple([z.number(), z.number(), z.number()]),
    std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]),
  }),
  resize: z.strictObject({
    mode: z.literal('letterbox').describe('Keep aspect ratio, centre, pad.'),
    padValue: z.number().int().min(0).max(255).default(114),
  }),
});

export const ManifestOutputSchema = z.strictObject({
  name: z.string().min(1),
  shape: z
    .tuple([z.literal(1), z.number().int().min(5), z.number().int().positive()])
    .describe('[1, 4 + classes, anchors].'),
  format: z.literal('yolov8-detect').describe('cx, cy, w, h in input pixels, then per-class scores.'),
});

export const ThresholdsSchema = z
  .strictObject({
    confidence: z.number().min(0).max(1).default(0.25).describe('Detections below are dropped.'),
    iou: z.number().gt(0).max(1).default(0.7).describe('Per-class NMS IoU threshold.'),
    review: z.number().min(0).max(1).default(0.25).describe('Best score at or above: unclear.'),
    defect: z.number().min(0).max(1).default(0.5).describe('Best score at or above: defect.'),
    maxDetections: z.number().int().positive().max(1000).default(300),
  })
  .refine((t) => t.review <= t.defect, { message: 'review threshold must not exceed defect threshold' });
export type Thresholds = z.infer<typeof ThresholdsSchema>;

export const SelfTestSchema = z.strictObject({
  file: BundlePathSchema,
  sizeBytes: z.number().int().positive(),
  sha256: Sha256HexSchema,
  expectedVerdict: VerdictSchema,
});
export type SelfTest = z.infer<typeof SelfTestSchema>;

export const ManifestSchema = z.strictObject({
  schema: z.literal(MANIFEST_SCHEMA_ID),
  name: ModelNameSchema,
  version: SemverSchema,
  createdAt: z.iso.datetime(),
  source: z.string().min(1).max(2048).optional().describe('Model package ARN, when there is one.'),
  model: z.strictObject({
    file: BundlePathSchema,
    sizeBytes: z.number().int().positive(),
    sha256: Sha256HexSchema,
  }),
  input: ManifestInputSchema,
  output: ManifestOutputSchema,
  classes: z.array(z.string().min(1).max(64)).min(1).max(1000),
  thresholds: ThresholdsSchema,
  precision: PrecisionSchema,
  opset: z.number().int().positive(),
  selfTest: z.array(SelfTestSchema).max(16).default([]),
});
export type Manifest = z.infer<typeof ManifestSchema>;
export type ManifestInput = z.input<typeof ManifestSchema>;

function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeysDeep(v);
    }
    return out;
  }
  return value;
}

/** The one byte encoding of a manifest that is signed and written to manifest.json. */
export function canonicalManifestBytes(manifest: Manifest): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(sortKeysDeep(manifest), null, 2)}\n`);
}

/** Checks a manifest's cross-field rules that a schema cannot express. */
function checkConsistency(m: Manifest): void {
  const rows = m.output.shape[1];
  if (rows !== 4 + m.classes.length) {
    throw new ManifestError(
      'MANIFEST_INVALID',
      `manifest output.shape[1] is ${rows}, expected 4 + classes (${4 + m.classes.length})`,
    );
  }
}

/** Validates a manifest object (for the packager, before it is signed). */
export function buildManifest(input: ManifestInput): Manifest {
  const parsed = ManifestSchema.safeParse(input);
  if (!parsed.success) {
    throw new ManifestError('MANIFEST_INVALID', `manifest is invalid: ${z.prettifyError(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  checkConsistency(parsed.data);
  return parsed.data;
}

/**
 * Parses manifest.json bytes. Call only after the signature over the same bytes has verified.
 * Rejects bytes that are not valid JSON, not a valid manifest, or not in canonical form.
 */
export function parseManifestBytes(bytes: Uint8Array): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (cause) {
    throw new ManifestError('MANIFEST_INVALID', 'manifest.json is not valid UTF-8 JSON', { cause });
  }
  const manifest = buildManifest(json as ManifestInput);
  const canonical = canonicalManifestBytes(manifest);
  if (!Buffer.from(canonical).equals(Buffer.from(bytes))) {
    throw new ManifestError(
      'MANIFEST_NOT_CANONICAL',
      'manifest.json is not in canonical form (sorted keys, 2-space indent, defaults filled, final newline)',
    );
  }
  return manifest;
}

/** Greengrass component name of a model: com.edgeqc.Model.<name>. */
export function modelComponentName(name: string): string {
  return `com.edgeqc.Model.${ModelNameSchema.parse(name)}`;
}

/** Compares two semantic versions by precedence (build metadata is not allowed here). */
export function compareSemver(a: string, b: string): number {
  const parse = (v: string) => {
    const [core = '', pre] = SemverSchema.parse(v).split(/-(.*)/s, 2);
    return { nums: core.split('.').map(Number), pre: pre ? pre.split('.') : [] };
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < 3; i++) {
    const d = (x.nums[i] ?? 0) - (y.nums[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  if (x.pre.length === 0 || y.pre.length === 0) return Math.sign(y.pre.length - x.pre.length);
  for (let i = 0; i < Math.max(x.pre.length, y.pre.length); i++) {
    const p = x.pre[i];
    const q = y.pre[i];
    if (p === undefined) return -1;
    if (q === undefined) return 1;
    if (p === q) continue;
    const pn = /^\d+$/.test(p);
    const qn = /^\d+$/.test(q);
    if (pn && qn) return Math.sign(Number(p) - Number(q));
    if (pn !== qn) return pn ? -1 : 1;
    return p < q ? -1 : 1;
  }
  return 0;
}
