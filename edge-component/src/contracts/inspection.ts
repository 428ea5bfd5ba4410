/**
 * `edgeqc.inspection.v1`: one message per inspected image on `<prefix>/inspections`.
 * This zod schema is the contract: the agent validates each message with it before publishing.
 * Consumers validate with its JSON Schema, edge-component/contracts/edgeqc.inspection.v1.schema.json,
 * generated from it by `npm run contracts` (json-schema.ts); a test fails when the two disagree.
 */
import { PrecisionSchema, Sha256HexSchema, VerdictSchema } from '@edgeqc/model-component/manifest';
import { z } from 'zod';

export const INSPECTION_SCHEMA_ID = 'edgeqc.inspection.v1';

/**
 * Most detections one inspection message carries: the cap of the message schema and of the
 * configuration's `thresholds.maxDetections` (one constant, so a configured value can never make a
 * message the schema refuses). 300 detections are about 75 KB of JSON, within AWS IoT Core's 128 KB.
 */
export const MAX_DETECTIONS = 300;

const Box = z.strictObject({
  x: z.number().min(0).describe('Left edge, original image pixels.'),
  y: z.number().min(0).describe('Top edge, original image pixels.'),
  width: z.number().min(0),
  height: z.number().min(0),
});

export const DetectionSchema = z.strictObject({
  label: z.string().min(1),
  classId: z.number().int().min(0),
  confidence: z.number().min(0).max(1),
  box: Box.describe('In original (EXIF-oriented) image pixels.'),
  boxNormalized: z
    .strictObject({
      x: z.number().min(0).max(1),
      y: z.number().min(0).max(1),
      width: z.number().min(0).max(1),
      height: z.number().min(0).max(1),
    })
    .describe('The same box divided by image width and height.'),
});
export type Detection = z.infer<typeof DetectionSchema>;

export const ModelRefSchema = z.strictObject({
  name: z.string().min(1),
  version: z.string().min(1),
  sha256: Sha256HexSchema,
  precision: PrecisionSchema,
});
export type ModelRef = z.infer<typeof ModelRefSchema>;

export const InspectionSchema = z
  .strictObject({
    schema: z.literal(INSPECTION_SCHEMA_ID),
    messageId: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .describe('sha256 over image sha256 and model sha256: the same image and model give the same id.'),
    thingName: z.string().min(1).max(128),
    image: z.strictObject({
      file: z.string().min(1).max(1024).describe('File name as it arrived in the camera folder.'),
      sha256: Sha256HexSchema,
      width: z.number().int().positive(),
      height: z.number().int().positive(),
    }),
    capturedAt: z.iso.datetime().describe('File modification time.'),
    inspectedAt: z.iso.datetime(),
    model: ModelRefSchema,
    verdict: VerdictSchema,
    thresholds: z.strictObject({
      confidence: z.number().min(0).max(1),
      iou: z.number().gt(0).max(1),
      review: z.number().min(0).max(1),
      defect: z.number().min(0).max(1),
    }),
    detections: z.array(DetectionSchema).max(MAX_DETECTIONS),
    timingsMs: z.strictObject({
      decode: z.number().min(0),
      preprocess: z.number().min(0),
      inference: z.number().min(0),
      postprocess: z.number().min(0),
      total: z.number().min(0),
    }),
  })
  .meta({ title: INSPECTION_SCHEMA_ID, description: 'One message per inspected image, on <prefix>/inspections.' });
export type Inspection = z.infer<typeof InspectionSchema>;
