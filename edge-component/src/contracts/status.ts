/**
 * `edgeqc.status.v1`: the retained heartbeat on `<prefix>/status` (also the MQTT Last Will, with
 * state `offline`). The rollout's canary check reads `model.sha256` and `selfTest.passed` from it.
 */
import { Sha256HexSchema } from '@edgeqc/model-component/manifest';
import { z } from 'zod';
import { ModelRefSchema } from './inspection.ts';

export const STATUS_SCHEMA_ID = 'edgeqc.status.v1';

export const AgentStateSchema = z.enum(['online', 'degraded', 'offline']);
export type AgentState = z.infer<typeof AgentStateSchema>;

export const StatusSchema = z
  .strictObject({
    schema: z.literal(STATUS_SCHEMA_ID),
    thingName: z.string().min(1).max(128),
    state: AgentStateSchema,
    reason: z.string().max(2000).optional().describe('Why the agent is degraded or offline.'),
    at: z.iso.datetime(),
    agentVersion: z.string().min(1),
    model: ModelRefSchema.nullable().describe('The model that is serving; null when none is.'),
    selfTest: z
      .strictObject({
        passed: z.boolean(),
        modelSha256: Sha256HexSchema,
        cases: z.number().int().min(0),
        failures: z.array(z.string().max(500)).max(16),
      })
      .nullable()
      .describe('The last model load: did its bundled self-test images give the expected verdicts.'),
    rates: z.strictObject({
      imagesPerSecond: z.number().min(0).describe('Over the last minute.'),
    }),
    latencyMs: z.strictObject({ p50: z.number().min(0), p95: z.number().min(0) }).nullable(),
    queueDepth: z.number().int().min(0),
    outbox: z.strictObject({
      pending: z.number().int().min(0),
      capacity: z.number().int().positive(),
      dropped: z.number().int().min(0).describe('Messages dropped by the outbox-full policy since start.'),
    }),
    counters: z.strictObject({
      inspected: z.number().int().min(0),
      ok: z.number().int().min(0),
      defect: z.number().int().min(0),
      unclear: z.number().int().min(0),
      quarantined: z.number().int().min(0),
      duplicates: z.number().int().min(0),
      published: z.number().int().min(0),
    }),
    lastError: z.string().max(2000).nullable(),
    metrics: z
      .strictObject({
        at: z.iso.datetime().describe('When these figures were measured (the last edgeqc.metrics.v1 message).'),
        modelVersion: z.string().min(1),
        images: z.number().int().min(0).describe('Inspections in the rolling window.'),
        sinceModel: z.number().int().min(0).describe('Inspections since this model version started serving.'),
        unclearRate: z.number().min(0).max(1),
        defectRate: z.number().min(0).max(1),
        inferenceP95Ms: z.number().min(0),
        psi: z.number().min(0).nullable(),
        drifted: z.boolean(),
      })
      .optional()
      .describe('Summary of the last model metrics message (<prefix>/metrics); absent until the first one.'),
  })
  .meta({
    title: STATUS_SCHEMA_ID,
    description: 'The retained heartbeat on <prefix>/status; also the MQTT Last Will, with state offline.',
  });
export type Status = z.infer<typeof StatusSchema>;
