/**
 * The handlers' configuration, parsed once from the Lambda environment (names in env.ts).
 */
import { z } from 'zod';
import { type QualityGateConfig, QualityGateConfigSchema, qualityGateConfig } from '../domain/quality-gate-config.ts';
import { ErrorNames, RolloutError } from '../errors.ts';
import { EnvNames } from './env.ts';
import { IngestEnvNames } from './ingest-metrics-entry.ts';

const seconds = z.coerce.number().int().positive();
const gate = QualityGateConfigSchema.shape;

export const HandlerConfigSchema = z.strictObject({
  artifactBucket: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/)
    .optional(),
  signingKeyId: z.string().min(1).optional(),
  modelPackageGroup: z.string().min(1).optional(),
  canaryGroup: z.string().min(1).default('canary'),
  fleetGroup: z.string().min(1).default('fleet'),
  inferenceComponentVersion: z.string().min(1).optional(),
  topicArn: z.string().startsWith('arn:').optional(),
  statusTopicPrefix: z.string().min(1).default('edgeqc'),
  canaryTimeoutSeconds: seconds.default(900),
  fleetTimeoutSeconds: seconds.default(3600),
  canaryBakeSeconds: z.coerce.number().int().min(0).default(600),
  fleetAbortPercent: z.coerce.number().gt(0).max(100).default(10),
  qualityGate: z.enum(['on', 'off']).default('on'),
  gateMinImages: z.coerce.number().pipe(gate.minImages.unwrap()).optional(),
  gateMaxUnclearRateIncrease: z.coerce.number().pipe(gate.maxUnclearRateIncrease.unwrap()).optional(),
  gateMaxDefectRateIncrease: z.coerce.number().pipe(gate.maxDefectRateIncrease.unwrap()).optional(),
  gateMaxScorePsi: z.coerce.number().pipe(gate.maxScorePsi.unwrap()).optional(),
  iotDataEndpoint: z.url().optional(),
  accountId: z
    .string()
    .regex(/^\d{12}$/)
    .optional(),
  region: z.string().min(1).optional(),
  recipesDir: z.string().min(1).optional(),
  /** The metrics table (the quality gate's BehaviourSource on AWS). */
  metricsTable: z.string().min(3).optional(),
});
export type HandlerConfig = z.infer<typeof HandlerConfigSchema>;

const KEYS: Record<keyof HandlerConfig, string> = {
  artifactBucket: EnvNames.ArtifactBucket,
  signingKeyId: EnvNames.SigningKeyId,
  modelPackageGroup: EnvNames.ModelPackageGroup,
  canaryGroup: EnvNames.CanaryGroup,
  fleetGroup: EnvNames.FleetGroup,
  inferenceComponentVersion: EnvNames.InferenceComponentVersion,
  topicArn: EnvNames.TopicArn,
  statusTopicPrefix: EnvNames.StatusTopicPrefix,
  canaryTimeoutSeconds: EnvNames.CanaryTimeoutSeconds,
  fleetTimeoutSeconds: EnvNames.FleetTimeoutSeconds,
  canaryBakeSeconds: EnvNames.CanaryBakeSeconds,
  fleetAbortPercent: EnvNames.FleetAbortPercent,
  qualityGate: EnvNames.QualityGate,
  gateMinImages: EnvNames.GateMinImages,
  gateMaxUnclearRateIncrease: EnvNames.GateMaxUnclearRateIncrease,
  gateMaxDefectRateIncrease: EnvNames.GateMaxDefectRateIncrease,
  gateMaxScorePsi: EnvNames.GateMaxScorePsi,
  iotDataEndpoint: EnvNames.IotDataEndpoint,
  accountId: EnvNames.AccountId,
  recipesDir: EnvNames.RecipesDir,
  metricsTable: IngestEnvNames.MetricsTable,
  region: 'AWS_REGION',
};

export function configFromEnv(env: Readonly<Record<string, string | undefined>>): Readonly<HandlerConfig> {
  const raw = Object.fromEntries(
    Object.entries(KEYS).flatMap(([k, name]) => (env[name] === undefined || env[name] === '' ? [] : [[k, env[name]]])),
  );
  const parsed = HandlerConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue?.path[0] as keyof HandlerConfig | undefined;
    throw new RolloutError(
      ErrorNames.Config,
      'ENV_INVALID',
      `environment ${key ? KEYS[key] : '?'}=${key ? JSON.stringify(raw[key]) : ''}: ${issue?.message}`,
    );
  }
  return Object.freeze(parsed.data);
}

/** A required setting, or a ConfigError naming its environment variable. */
export function required<K extends keyof HandlerConfig>(config: HandlerConfig, key: K): NonNullable<HandlerConfig[K]> {
  const v = config[key];
  if (v === undefined) throw new RolloutError(ErrorNames.Config, 'ENV_MISSING', `environment ${KEYS[key]} is not set`);
  return v as NonNullable<HandlerConfig[K]>;
}

/** The quality gate's settings from the configuration (undefined when EDGEQC_QUALITY_GATE is off). */
export function qualityGateSettings(config: HandlerConfig): Readonly<QualityGateConfig> | undefined {
  if (config.qualityGate === 'off') return undefined;
  const raw = {
    minImages: config.gateMinImages,
    minBakeSeconds: config.canaryBakeSeconds,
    maxUnclearRateIncrease: config.gateMaxUnclearRateIncrease,
    maxDefectRateIncrease: config.gateMaxDefectRateIncrease,
    maxScorePsi: config.gateMaxScorePsi,
  };
  return qualityGateConfig(
    Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)),
    `quality gate (${EnvNames.CanaryBakeSeconds} and ${EnvNames.GateMinImages}...)`,
  );
}
