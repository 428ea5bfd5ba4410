/**
 * `edgeqc.error.v1`: on `<prefix>/errors`, one message per quarantined file, refused model, or message
 * the broker refused for good (kind `dead-letter`, with `delivery`: the refused message's topic,
 * messageId, size and MQTT 5 reason code; the message itself waits in the device's dead-letter file),
 * and one per drift crossing of the serving model (kind `drift`, code MODEL_DRIFT, with `drift`: the
 * figures of edgeqc.metrics.v1's `drift`).
 */
import { z } from 'zod';

export const ERROR_EVENT_SCHEMA_ID = 'edgeqc.error.v1';

export const ErrorEventSchema = z
  .strictObject({
    schema: z.literal(ERROR_EVENT_SCHEMA_ID),
    thingName: z.string().min(1).max(128),
    at: z.iso.datetime(),
    kind: z.enum(['quarantine', 'model-rejected', 'publish', 'dead-letter', 'internal', 'drift']),
    code: z.string().min(1).max(64).describe('Stable error code, e.g. IMAGE_TRUNCATED, MODEL_HASH_MISMATCH.'),
    message: z.string().max(2000),
    file: z.string().max(1024).optional().describe('The image file, for quarantine events.'),
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional(),
    model: z
      .strictObject({ name: z.string().optional(), version: z.string().optional(), path: z.string().optional() })
      .optional(),
    delivery: z
      .strictObject({
        topic: z.string().min(1).max(256).describe('The topic of the refused message.'),
        messageId: z
          .string()
          .regex(/^[0-9a-f]{64}$/)
          .optional()
          .describe("The refused inspection's messageId."),
        sizeBytes: z.number().int().min(0).describe('Payload size of the refused message.'),
        reasonCode: z
          .number()
          .int()
          .min(0)
          .max(255)
          .optional()
          .describe('The MQTT 5 reason code the broker answered with (135 Not authorized, 149 Packet too large...).'),
      })
      .optional()
      .describe('For dead-letter events: the message the broker refused for good.'),
    drift: z
      .strictObject({
        psi: z
          .number()
          .min(0)
          .describe("Population stability index of the window's best-score histogram vs the baseline."),
        limit: z.number().positive(),
        baselineImages: z.number().int().positive(),
        windowImages: z.number().int().min(0).describe('Images in the window the index was measured on.'),
        modelSha256: z.string().regex(/^[0-9a-f]{64}$/),
      })
      .optional()
      .describe('For drift events: the figures of the crossing (model name and version are in model).'),
  })
  .meta({
    title: ERROR_EVENT_SCHEMA_ID,
    description:
      'On <prefix>/errors: one message per quarantined file, refused model, or message the broker refused for good.',
  });
export type ErrorEvent = z.infer<typeof ErrorEventSchema>;
