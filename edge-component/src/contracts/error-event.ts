/** `edgeqc.error.v1`: on `<prefix>/errors`, one message per quarantined file or refused model. */
import { z } from 'zod';

export const ERROR_EVENT_SCHEMA_ID = 'edgeqc.error.v1';

export const ErrorEventSchema = z
  .strictObject({
    schema: z.literal(ERROR_EVENT_SCHEMA_ID),
    thingName: z.string().min(1).max(128),
    at: z.iso.datetime(),
    kind: z.enum(['quarantine', 'model-rejected', 'publish', 'internal']),
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
  })
  .meta({
    title: ERROR_EVENT_SCHEMA_ID,
    description: 'On <prefix>/errors: one message per quarantined file or refused model.',
  });
export type ErrorEvent = z.infer<typeof ErrorEventSchema>;
