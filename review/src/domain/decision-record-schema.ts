/**
 * The stored shape of a decision record, for adapters that read records back from outside (a JSON
 * file, a DynamoDB item): a record that does not match is corrupt, never trusted.
 */
import { z } from 'zod';
import type { DecisionRecord } from './decision.ts';

const ReviewerSchema = z.strictObject({ id: z.string().min(1), name: z.string().min(1) });
const BoxSchema = z.strictObject({
  x: z.number().min(0),
  y: z.number().min(0),
  width: z.number().min(0),
  height: z.number().min(0),
  label: z.string().min(1),
});
const DecisionSchema = z.strictObject({
  verdict: z.enum(['ok', 'defect']),
  boxes: z.array(BoxSchema),
  reviewer: ReviewerSchema,
  decidedAt: z.string().min(1),
  revision: z.number().int().min(1),
  actionId: z.string().min(1),
});

export const DecisionRecordSchema = z.strictObject({
  messageId: z.string().regex(/^[0-9a-f]{64}$/),
  revision: z.number().int().min(1),
  subject: z.strictObject({
    thingName: z.string().min(1),
    capturedAt: z.string().min(1),
    modelName: z.string().min(1),
    modelVersion: z.string().min(1),
    modelVerdict: z.enum(['ok', 'defect', 'unclear']),
    imageWidth: z.number().int().positive(),
    imageHeight: z.number().int().positive(),
  }),
  stack: z.array(DecisionSchema),
  log: z.array(
    z.discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('decided'), decision: DecisionSchema }),
      z.strictObject({
        kind: z.literal('undone'),
        reviewer: ReviewerSchema,
        at: z.string().min(1),
        revision: z.number().int().min(1),
        actionId: z.string().min(1),
        undoneRevision: z.number().int().min(1),
      }),
    ]),
  ),
}) satisfies z.ZodType<DecisionRecord>;
