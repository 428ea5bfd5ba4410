/**
 * The quality gate's settings: how much evidence the canary must gather under the new model, and how far
 * its behaviour may move from the baseline's. One schema, used by the Lambda environment (handlers/config.ts),
 * by infra at synth and by the one-machine pipeline; a value out of range is refused with its key.
 */
import { z } from 'zod';
import { ErrorNames, RolloutError } from '../errors.ts';

/** The keys, for messages and for infra's props. */
export const QUALITY_GATE_KEYS = [
  'minImages',
  'minBakeSeconds',
  'maxUnclearRateIncrease',
  'maxDefectRateIncrease',
  'maxScorePsi',
] as const;

export const QualityGateConfigSchema = z.strictObject({
  minImages: z
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(200)
    .describe('Images the canary devices must inspect under the new model (summed) before the gate judges.'),
  minBakeSeconds: z
    .number()
    .int()
    .min(0)
    .max(86_400)
    .default(600)
    .describe('Seconds the canary must serve the new model, healthy, before the gate judges.'),
  maxUnclearRateIncrease: z
    .number()
    .min(0)
    .max(1)
    .default(0.1)
    .describe('Largest rise of the unclear rate over the baseline (0.1 = ten percentage points).'),
  maxDefectRateIncrease: z
    .number()
    .min(0)
    .max(1)
    .default(0.1)
    .describe('Largest rise of the defect rate over the baseline (0.1 = ten percentage points).'),
  maxScorePsi: z
    .number()
    .gt(0)
    .max(10)
    .default(0.25)
    .describe('Largest population stability index of the best-score histogram against the baseline.'),
});
export type QualityGateConfig = z.infer<typeof QualityGateConfigSchema>;

/**
 * Validated, frozen settings; anything out of range is a ConfigError naming `<where>.<key>`, the value
 * and what is allowed.
 */
export function qualityGateConfig(raw: unknown, where = 'qualityGate'): Readonly<QualityGateConfig> {
  const parsed = QualityGateConfigSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue?.path.join('.') ?? '';
    const value = key && raw && typeof raw === 'object' ? (raw as Record<string, unknown>)[key] : raw;
    throw new RolloutError(
      ErrorNames.Config,
      'QUALITY_GATE_INVALID',
      `${where}${key ? `.${key}` : ''}=${JSON.stringify(value)}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return Object.freeze(parsed.data);
}
