/**
 * The agent configuration schema: a strict object (an unknown key is an error) with a default and a
 * description on every key, and the types around it. Pure: no paths resolved, no files read.
 */
import { z } from 'zod';
import { MAX_TOPIC_PREFIX_BYTES, MAX_TOPIC_PREFIX_SLASHES, topicPrefixProblem } from '../contracts/topics.ts';
import { RetentionConfigSchema, WatchdogConfigSchema } from './intake-schemas.ts';
import { DEFAULT_METRICS_CONFIG, MetricsConfigSchema } from './metrics-schemas.ts';
import { int, isPublicKeyPem, path, posInt, SEMVER, THING_NAME } from './schema-builders.ts';
import {
  InferenceConfigSchema,
  LimitsConfigSchema,
  MAX_MESSAGE_BYTES,
  MqttConfigSchema,
  OutboxConfigSchema,
  ThresholdOverridesSchema,
} from './section-schemas.ts';
import { HttpConfigSchema, LfvConfigSchema, SyncConfigSchema } from './sync-schemas.ts';
import { UPLOAD_DEFAULTS, UploadConfigSchema } from './upload-schemas.ts';

const AgentConfigObject = z.strictObject({
  thingName: z
    .string({ error: 'expected a thing name (a string)' })
    .regex(THING_NAME, { error: 'expected a thing name: letters, digits, ":", "_" or "-", at most 128' })
    .optional()
    .describe(
      'AWS IoT thing name of this device, in messages and the default topic prefix. Under Greengrass it ' +
        'comes from AWS_IOT_THING_NAME. Required to run.',
    ),
  cameraDir: path('the camera folder').describe('Folder the camera writes images into (relative: to the base folder).'),
  workDir: path('the work folder')
    .optional()
    .describe('Holds done/, quarantine/, outbox/ and state/. Default: <cameraDir>.edgeqc beside the camera folder.'),
  model: z
    .strictObject({
      dir: path('the model bundle folder')
        .optional()
        .describe(
          'Bundle folder (model.onnx, manifest.json, manifest.sig). Under Greengrass: --model / EDGEQC_MODEL_DIR.',
        ),
      minVersion: z
        .string({ error: 'expected a semantic version such as 1.2.3' })
        .regex(SEMVER, { error: 'expected a semantic version such as 1.2.3' })
        .optional()
        .describe(
          'Refuse bundles older than this version (MODEL_TOO_OLD): an explicit floor, beside the high-water ' +
            'mark in state/ (MODEL_ROLLBACK) that the agent keeps by itself.',
        ),
      expect: z
        .strictObject({
          name: z
            .string({ error: 'expected a model name' })
            .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, {
              error: 'expected a model name: lower-case letters, digits and dashes, at most 63',
            })
            .optional()
            .describe('The model name the signed manifest must have.'),
          version: z
            .string({ error: 'expected a semantic version such as 1.2.3' })
            .regex(SEMVER, { error: 'expected a semantic version such as 1.2.3' })
            .optional()
            .describe('The version the signed manifest must have.'),
          sha256: z
            .string({ error: 'expected a SHA-256 in hex' })
            .regex(/^[0-9a-f]{64}$/, { error: 'expected a SHA-256: 64 lower-case hex digits' })
            .optional()
            .describe('The SHA-256 of model.onnx the signed manifest must name.'),
        })
        .optional()
        .describe(
          'The model the deployment delivers: a bundle whose signed manifest says otherwise is refused ' +
            "(MODEL_EXPECTATION_MISMATCH). Under Greengrass the inference recipe's Setenv fills it from the model " +
            "component's configuration (EDGEQC_MODEL_EXPECT_NAME, _VERSION, _SHA256).",
        ),
    })
    .default({})
    .describe('The model bundle the agent serves (watched: a new bundle is hot-swapped in).'),
  trustedKeys: z
    .array(
      z
        .string({ error: 'expected a PEM public key (a string)' })
        .refine(isPublicKeyPem, { error: 'expected a PEM public key (SPKI, Ed25519 or ECDSA P-256)' }),
      { error: 'expected a list of PEM public keys' },
    )
    .min(1, { error: 'expected at least one trusted public key' })
    .max(16, { error: 'expected at most 16 trusted keys' })
    .describe('Public keys (PEM) a manifest signature must verify against; at least one.'),
  thresholds: ThresholdOverridesSchema.default({}).describe(
    "Overrides of the model manifest's thresholds; a key left out keeps the manifest's value.",
  ),
  topicPrefix: z
    .string({ error: 'expected a topic prefix (a string)' })
    .superRefine((prefix, ctx) => {
      const problem = topicPrefixProblem(prefix);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional()
    .describe(
      'Prefix of <prefix>/inspections, /status and /errors. Default: edgeqc/<thingName>. What AWS IoT topics ' +
        `allow: at most ${MAX_TOPIC_PREFIX_BYTES} bytes and ${MAX_TOPIC_PREFIX_SLASHES} "/", levels of letters, ` +
        'digits and "_-:.", no "$" start, no empty level.',
    ),
  mqtt: MqttConfigSchema.default({
    version: '5',
    keepAliveSec: 30,
    allowPlaintext: false,
    maxMessageBytes: MAX_MESSAGE_BYTES,
  }).describe('Direct MQTT connection, used when not running under Greengrass.'),
  inference: InferenceConfigSchema.default({
    intraOpThreads: 1,
    interOpThreads: 1,
    inFlight: 2,
    detectorThread: 'worker',
    allowSpinning: false,
    pipelineNice: 10,
  }).describe('Inference session and pipeline concurrency.'),
  limits: LimitsConfigSchema.default({
    maxFileBytes: 20 * 1024 * 1024,
    maxPixels: 4096 * 4096,
    minFreeBytes: 64 * 1024 * 1024,
  }).describe('Admission limits that keep memory and disk bounded.'),
  retention: RetentionConfigSchema.default({
    done: { maxAgeDays: 30, maxBytes: 2 * 1024 ** 3 },
    quarantine: { maxAgeDays: 30, maxBytes: 512 * 1024 ** 2 },
    intervalSec: 300,
    maxDeletesPerPass: 1000,
  }).describe('Retention of done/ and quarantine/: the oldest files go first, by age and by size.'),
  watchdog: WatchdogConfigSchema.default({ inferenceTimeoutMs: 30_000 }).describe('The watchdog for a hung inference.'),
  outbox: OutboxConfigSchema.default({
    capacity: 10_000,
    maxBytes: 256 * 1024 * 1024,
    policy: 'pause-intake',
  }).describe('The durable outbox between inspection and publishing.'),
  sync: SyncConfigSchema.default({
    concurrency: 2,
    maxQueue: 32,
    maxQueueBytes: 8 * 1024 ** 2,
    timeoutMs: 10_000,
  }).describe('Synchronous inspection requests (HTTP and the Lookout for Vision gRPC interface).'),
  http: HttpConfigSchema.default({ port: 0, host: '127.0.0.1' }).describe('The HTTP API (off unless port is set).'),
  lfv: LfvConfigSchema.default({ enabled: false }).describe(
    "Amazon Lookout for Vision edge agent's gRPC interface (off by default).",
  ),
  upload: UploadConfigSchema.default(UPLOAD_DEFAULTS).describe('Upload of inspected images (off by default).'),
  metrics: MetricsConfigSchema.default(DEFAULT_METRICS_CONFIG).describe(
    'Model metrics per model version on <prefix>/metrics: rolling window, drift, the opt-in Prometheus endpoint.',
  ),
  annotate: z
    .boolean({ error: 'expected true or false' })
    .default(false)
    .describe('Also write a copy with the boxes drawn beside each image in done/.'),
  statusIntervalSec: int('an integer from 1 to 3600', 1, 3600)
    .default(10)
    .describe('Period of the retained /status heartbeat.'),
  seenCapacity: posInt(10_000_000)
    .default(20_000)
    .describe('Images remembered by hash, so that a re-sent identical file is not inspected twice.'),
  logLevel: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'expected fatal, error, warn, info, debug, trace or silent',
    })
    .default('info')
    .describe('pino log level.'),
  accessControl: z
    .unknown()
    .optional()
    .describe('Set by the Greengrass recipe (IPC authorisation); accepted and ignored by the agent.'),
});

/**
 * The agent configuration schema: a strict object (an unknown key is an error), with defaults.
 * `accessControl` is accepted and removed from the output (`overwrite` keeps this a ZodObject).
 */
export const AgentConfigSchema = AgentConfigObject.overwrite((config) => {
  const { accessControl: _ignored, ...rest } = config;
  return rest;
});

/** The raw shape a config file, the environment or Greengrass provides (defaults not applied). */
export type AgentConfigInput = z.input<typeof AgentConfigSchema>;
/** What the schema produces: defaults applied, paths as given. */
export type ParsedAgentConfig = Omit<z.output<typeof AgentConfigSchema>, 'accessControl'>;

type DeepReadonly<T> = T extends readonly (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** The validated configuration the agent runs with: absolute paths, derived folders filled, frozen. */
export type AgentConfig = DeepReadonly<
  Omit<ParsedAgentConfig, 'workDir' | 'outbox'> & {
    workDir: string;
    outbox: ParsedAgentConfig['outbox'] & { dir: string };
  }
>;
