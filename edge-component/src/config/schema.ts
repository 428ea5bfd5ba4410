/**
 * The agent's configuration: one zod schema (defaults and a description on every key) and
 * `parseAgentConfig`, which validates a raw object once, resolves relative paths against a base folder,
 * fills the derived defaults (work folder, outbox folder) and returns a deep-frozen config.
 *
 * The schema itself is pure (no paths resolved, no files read): `edgeqc package-agent` parses the
 * recipe's DefaultConfiguration with it and writes the result into the recipe. Greengrass adds
 * `accessControl` to the component configuration; the schema accepts it and drops it.
 *
 * Raw config comes from a JSON file, EDGEQC_* environment variables and flags (load-config.ts) or from
 * Greengrass GetConfiguration. An invalid value is reported with its key path and the value given:
 * `outbox.capacity: expected a positive integer, got "abc"`.
 */
import { isAbsolute, resolve } from 'node:path';
import { parsePublicKeyPem } from '@edgeqc/model-component/signature';
import { z } from 'zod';
import { AgentConfigError } from '../errors.ts';

// ---- small typed builders whose every failure says what was expected ------------------------------

function int(what: string, min: number, max: number) {
  const error = `expected ${what}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}
const posInt = (max = Number.MAX_SAFE_INTEGER) =>
  int(max === Number.MAX_SAFE_INTEGER ? 'a positive integer' : `an integer from 1 to ${max}`, 1, max);
const fraction = () => {
  const error = 'expected a number from 0 to 1';
  return z.number({ error }).min(0, { error }).max(1, { error });
};
const path = (what: string) =>
  z.string({ error: `expected ${what} (a path)` }).min(1, { error: `expected ${what} (a non-empty path)` });

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;
/** AWS IoT thing names: letters, digits, `:_-`, 1 to 128. */
const THING_NAME = /^[a-zA-Z0-9:_-]{1,128}$/;

function isPublicKeyPem(pem: string): boolean {
  try {
    parsePublicKeyPem(pem);
    return true;
  } catch {
    return false;
  }
}

// ---- the schema ------------------------------------------------------------------------------------

export const ThresholdOverridesSchema = z
  .strictObject({
    confidence: fraction().optional().describe('Detections scoring below are dropped.'),
    iou: fraction().optional().describe('Per-class NMS IoU threshold.'),
    review: fraction().optional().describe('Best score at or above: verdict `unclear` (for a person).'),
    defect: fraction().optional().describe('A scratch scoring at or above: verdict `defect`.'),
    maxDetections: posInt(1000).optional().describe('Most detections kept per image.'),
  })
  .refine((t) => t.review === undefined || t.defect === undefined || t.review <= t.defect, {
    error: 'expected review <= defect',
  })
  .describe("Overrides of the model manifest's thresholds; a key left out keeps the manifest's value.");

export const MqttConfigSchema = z
  .strictObject({
    url: z
      .string({ error: 'expected a broker URL mqtt://host:port or mqtts://host:port' })
      .regex(/^mqtts?:\/\/[^/\s]+\/?$/, { error: 'expected a broker URL mqtt://host:port or mqtts://host:port' })
      .optional()
      .describe(
        'Broker URL (not under Greengrass, which publishes through IPC). For AWS IoT Core: ' +
          'mqtts://<account endpoint>:8883 with certFile and keyFile.',
      ),
    version: z
      .enum(['5', '3.1.1'], { error: 'expected "5" or "3.1.1"' })
      .default('5')
      .describe('MQTT protocol version; 3.1.1 for brokers without MQTT 5 (the embedded Aedes).'),
    clientId: z
      .string({ error: 'expected a client id (a string)' })
      .min(1, { error: 'expected a non-empty client id' })
      .max(128, { error: 'expected a client id of at most 128 characters' })
      .optional()
      .describe('MQTT client id. Default: the thing name (AWS IoT policies usually require it).'),
    keepAliveSec: int('a keep-alive from 5 to 1200 seconds', 5, 1200).default(30).describe('MQTT keep-alive.'),
    caFile: path('a CA certificate file').optional().describe('PEM CA bundle. Default: the system trust store.'),
    certFile: path('a client certificate file').optional().describe('X.509 device certificate (AWS IoT Core).'),
    keyFile: path('a private key file').optional().describe('Private key of certFile (AWS IoT Core).'),
  })
  .refine((m) => (m.certFile === undefined) === (m.keyFile === undefined), {
    error: 'expected certFile and keyFile together (mutual TLS) or neither',
  })
  .describe('Direct MQTT connection, used when not running under Greengrass.');

export const InferenceConfigSchema = z
  .strictObject({
    intraOpThreads: int('an integer from 0 to 64', 0, 64)
      .default(1)
      .describe(
        'onnxruntime threads inside one operator; 0: onnxruntime chooses (one per core). Default 1: the model ' +
          "runs on one core and the agent's decoding, letterboxing and publishing on the others (on 2 cores " +
          'measured as many images per second as automatic threads, at about 0.9x the raw one-thread session; ' +
          'see the README bench section). Raise it on devices with more cores; an FP32 model on 2 cores ' +
          'handled 1.3x the images per second with 0.',
      ),
    interOpThreads: int('an integer from 0 to 64', 0, 64)
      .default(1)
      .describe('onnxruntime threads across operators; 0: onnxruntime chooses.'),
    inFlight: posInt(16)
      .default(2)
      .describe('Images in flight at once, so that decoding the next image overlaps inference.'),
    detectorThread: z
      .enum(['worker', 'main'], { error: 'expected "worker" or "main"' })
      .default('worker')
      .describe(
        'Where onnxruntime runs a model: worker (a thread of its own, so preparing, decoding and publishing ' +
          'overlap inference; on 2 cores measured 1.2x the images per second of main for about 30 MiB more ' +
          "RSS, see the README bench section) or main (the agent's main thread, blocked during each inference).",
      ),
    allowSpinning: z
      .boolean({ error: 'expected true or false' })
      .default(false)
      .describe(
        "Let onnxruntime's thread pools spin while waiting for work: a little quicker hand-over, but the " +
          'spinning takes CPU the rest of the agent needs.',
      ),
    pipelineNice: int('an integer from 0 to 19', 0, 19)
      .default(10)
      .describe(
        "With detectorThread worker, on Linux: the nice value the agent's other threads (decoding, " +
          'letterboxing, hashing, outbox, MQTT, onnxruntime helper threads) are lowered to, so that the thread ' +
          'running the model keeps a core when the CPU is full; 0 leaves priorities alone.',
      ),
  })
  .describe('Inference session and pipeline concurrency.');

export const LimitsConfigSchema = z
  .strictObject({
    maxFileBytes: posInt()
      .default(20 * 1024 * 1024)
      .describe('Larger image files are quarantined (IMAGE_TOO_LARGE). Default 20 MiB.'),
    maxPixels: posInt()
      .default(4096 * 4096)
      .describe('Images with more pixels are quarantined before decoding (IMAGE_TOO_MANY_PIXELS). Default 4096x4096.'),
  })
  .describe('Admission limits that keep memory bounded.');

export const OutboxConfigSchema = z
  .strictObject({
    dir: path('the outbox folder').optional().describe('Durable outbox folder. Default: <workDir>/outbox.'),
    capacity: posInt().default(10_000).describe('Most messages held while the broker is unreachable.'),
    maxBytes: posInt()
      .default(256 * 1024 * 1024)
      .describe('Most bytes held on disk. Default 256 MiB.'),
    policy: z
      .enum(['pause-intake', 'drop-oldest'], { error: 'expected "pause-intake" or "drop-oldest"' })
      .default('pause-intake')
      .describe(
        'When full: pause-intake stops taking camera files until there is room (nothing lost; /status ' +
          'says so); drop-oldest drops the oldest message (counted on /status).',
      ),
  })
  .describe('The durable outbox between inspection and publishing.');

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
        .describe('Refuse bundles older than this version (MODEL_TOO_OLD), against rollback.'),
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
    .regex(/^[^#+\s]+[^/#+\s]$|^[^#+\s/]$/, { error: 'expected a topic prefix without wildcards or a final "/"' })
    .max(200, { error: 'expected a topic prefix of at most 200 characters' })
    .optional()
    .describe('Prefix of <prefix>/inspections, /status and /errors. Default: edgeqc/<thingName>.'),
  mqtt: MqttConfigSchema.default({ version: '5', keepAliveSec: 30 }).describe(
    'Direct MQTT connection, used when not running under Greengrass.',
  ),
  inference: InferenceConfigSchema.default({
    intraOpThreads: 1,
    interOpThreads: 1,
    inFlight: 2,
    detectorThread: 'worker',
    allowSpinning: false,
    pipelineNice: 10,
  }).describe('Inference session and pipeline concurrency.'),
  limits: LimitsConfigSchema.default({ maxFileBytes: 20 * 1024 * 1024, maxPixels: 4096 * 4096 }).describe(
    'Admission limits that keep memory bounded.',
  ),
  outbox: OutboxConfigSchema.default({
    capacity: 10_000,
    maxBytes: 256 * 1024 * 1024,
    policy: 'pause-intake',
  }).describe('The durable outbox between inspection and publishing.'),
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

// ---- errors ----------------------------------------------------------------------------------------

function valueAt(raw: unknown, keyPath: readonly PropertyKey[]): unknown {
  let v = raw;
  for (const k of keyPath) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing (the key is missing)';
  if (typeof value === 'string' && value.includes('-----BEGIN'))
    return `"${value.slice(0, 30).replace(/\n/g, '\\n')}..."`;
  const text = JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function keyPathText(keyPath: readonly PropertyKey[]): string {
  let out = '';
  for (const k of keyPath) {
    if (typeof k === 'number') out += `[${k}]`;
    else out += out === '' ? String(k) : `.${String(k)}`;
  }
  return out === '' ? '(config)' : out;
}

/** One line per problem: `key.path: expected ..., got <value>`. */
export function describeConfigIssues(error: z.ZodError, raw: unknown): string[] {
  const lines: string[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      const allowed = issue.path.length === 0 ? Object.keys(AgentConfigObject.shape).join(', ') : undefined;
      for (const key of issue.keys) {
        lines.push(
          `${keyPathText([...issue.path, key])}: unknown key${allowed ? ` (expected one of ${allowed})` : ''}, got ${show(valueAt(raw, [...issue.path, key]))}`,
        );
      }
      continue;
    }
    lines.push(`${keyPathText(issue.path)}: ${issue.message}, got ${show(valueAt(raw, issue.path))}`);
  }
  return lines;
}

// ---- parsing -------------------------------------------------------------------------------------

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Where the work folder goes when the config names none: `<cameraDir>.edgeqc`, beside the camera folder. */
export function defaultWorkDir(cameraDir: string): string {
  return `${cameraDir.replace(/[\\/]+$/, '')}.edgeqc`;
}

export interface ParseAgentConfigOptions {
  /** Relative paths are resolved against it. Default: the process's working folder. */
  readonly baseDir?: string;
}

/**
 * Validates a raw configuration once and returns it deep-frozen, with every path absolute, `workDir`
 * and `outbox.dir` filled in, and `accessControl` dropped. Throws AgentConfigError (code CONFIG_INVALID)
 * whose message lists each problem as `key.path: expected ..., got <value>`.
 */
export function parseAgentConfig(raw: unknown, options: ParseAgentConfigOptions = {}): AgentConfig {
  const parsed = AgentConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = describeConfigIssues(parsed.error, raw);
    throw new AgentConfigError('CONFIG_INVALID', `invalid agent configuration: ${lines.join('; ')}`, {
      cause: parsed.error,
    });
  }
  const base = resolve(options.baseDir ?? process.cwd());
  const abs = (p: string) => (isAbsolute(p) ? resolve(p) : resolve(base, p));
  const absOpt = (p: string | undefined) => (p === undefined ? undefined : abs(p));
  const c = parsed.data;
  const cameraDir = abs(c.cameraDir);
  const workDir = c.workDir === undefined ? defaultWorkDir(cameraDir) : abs(c.workDir);
  if (workDir === cameraDir) {
    throw new AgentConfigError(
      'CONFIG_INVALID',
      `invalid agent configuration: workDir: expected a folder other than the camera folder, got ${show(c.workDir)}`,
    );
  }
  const { accessControl: _ignored, ...rest } = c;
  const config = {
    ...rest,
    cameraDir,
    workDir,
    model: { ...c.model, dir: absOpt(c.model.dir) },
    mqtt: {
      ...c.mqtt,
      caFile: absOpt(c.mqtt.caFile),
      certFile: absOpt(c.mqtt.certFile),
      keyFile: absOpt(c.mqtt.keyFile),
    },
    outbox: { ...c.outbox, dir: c.outbox.dir === undefined ? resolve(workDir, 'outbox') : abs(c.outbox.dir) },
  };
  return deepFreeze(dropUndefined(config)) as AgentConfig;
}

function dropUndefined<T>(value: T): T {
  if (Array.isArray(value)) return value.map(dropUndefined) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = dropUndefined(v);
    return out as T;
  }
  return value;
}

/** The topic prefix in effect: the configured one, or `edgeqc/<thingName>`. */
export function topicPrefixOf(config: Pick<AgentConfig, 'topicPrefix' | 'thingName'>): string {
  if (config.topicPrefix !== undefined) return config.topicPrefix;
  if (config.thingName === undefined) {
    throw new AgentConfigError(
      'CONFIG_INVALID',
      'thingName: expected a thing name (config, EDGEQC_THING_NAME, AWS_IOT_THING_NAME or --thing-name), got nothing',
    );
  }
  return `edgeqc/${config.thingName}`;
}

/** The folders under the work folder (done/, quarantine/, state/; the outbox has its own key). */
export function workFolders(config: Pick<AgentConfig, 'workDir'>): { done: string; quarantine: string; state: string } {
  return {
    done: resolve(config.workDir, 'done'),
    quarantine: resolve(config.workDir, 'quarantine'),
    state: resolve(config.workDir, 'state'),
  };
}
