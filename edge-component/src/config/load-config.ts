/**
 * Where the agent's raw configuration comes from when it runs outside Greengrass, and how the sources
 * combine. Precedence, lowest first (a later source replaces a key of an earlier one; objects merge
 * key by key, lists are replaced whole):
 *
 *   1. the schema's defaults (schema.ts)
 *   2. the JSON file given by `--config <file>` (or EDGEQC_CONFIG)
 *      (under Greengrass, the component configuration from GetConfiguration takes this place)
 *   3. environment variables: EDGEQC_<KEY_PATH> for every key, e.g. EDGEQC_CAMERA_DIR,
 *      EDGEQC_MODEL_DIR, EDGEQC_OUTBOX_CAPACITY, EDGEQC_MQTT_URL; AWS_IOT_THING_NAME (set by
 *      Greengrass) gives thingName when EDGEQC_THING_NAME is not set
 *   4. flags: --<key-path> for every key, e.g. --camera-dir, --model-dir (alias --model), --mqtt-url,
 *      --thing-name, --outbox-capacity; --trusted-key <file|PEM> may be repeated.
 *
 * Env and flag values are strings: numbers and booleans are converted for numeric and boolean keys
 * when they look like one (otherwise the string is kept and validation names it). trustedKeys from env
 * or flags is PEM text or a PEM file path (a file may hold several keys); EDGEQC_TRUSTED_KEYS may list
 * several paths separated by the platform's path delimiter (`:`).
 * Relative paths in any source are resolved against the base folder (default: the working folder).
 */
import { readFile } from 'node:fs/promises';
import { delimiter } from 'node:path';
import type { ParseArgsOptionsConfig } from 'node:util';
import { createFileConfigSource, mergeConfig } from '../adapters/config-file-source.ts';
import { AgentConfigError } from '../errors.ts';
import type { ConfigSource } from '../ports.ts';
import { type AgentConfig, AgentConfigSchema, parseAgentConfig } from './schema.ts';

export type ConfigValueKind = 'string' | 'number' | 'boolean' | 'keys';

/** One configurable leaf key and its names in the environment and on the command line. */
export interface ConfigKeySpec {
  /** e.g. ['outbox', 'capacity'] */
  readonly path: readonly string[];
  /** e.g. EDGEQC_OUTBOX_CAPACITY */
  readonly env: string;
  /** e.g. outbox-capacity (used as --outbox-capacity) */
  readonly flag: string;
  readonly kind: ConfigValueKind;
  readonly description: string;
  /** The schema's default, when it has one. */
  readonly defaultValue?: unknown;
}

export const CONFIG_ENV_PREFIX = 'EDGEQC_';
/** The config file's env variable (the same as --config). */
export const CONFIG_FILE_ENV = 'EDGEQC_CONFIG';
/** Set by Greengrass for every component: the device's thing name. */
export const THING_NAME_ENV = 'AWS_IOT_THING_NAME';

/** Flag aliases for the quick-try command line (`--model <bundle dir>`, `--trusted-key <file>`). */
const FLAG_ALIASES: Readonly<Record<string, string>> = { model: 'model-dir', 'trusted-key': 'trusted-keys' };
const IGNORED_KEYS = new Set(['accessControl']);

interface ZodLike {
  readonly def: { readonly type: string; readonly innerType?: ZodLike; readonly shape?: Record<string, ZodLike> };
  readonly description?: string;
}

const snake = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
const kebab = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();

function leafSpecs(shape: Record<string, ZodLike>, prefix: readonly string[]): ConfigKeySpec[] {
  const out: ConfigKeySpec[] = [];
  for (const [key, schema] of Object.entries(shape)) {
    if (IGNORED_KEYS.has(key)) continue;
    let s = schema;
    let description = s.description ?? '';
    let defaultValue: unknown;
    while (s.def.type === 'default' || s.def.type === 'optional') {
      if (s.def.type === 'default') defaultValue = (s.def as unknown as { defaultValue: unknown }).defaultValue;
      s = s.def.innerType as ZodLike;
      description ||= s.description ?? '';
    }
    const path = [...prefix, key];
    if (s.def.type === 'object' && s.def.shape) {
      out.push(...leafSpecs(s.def.shape, path));
      continue;
    }
    const kind: ConfigValueKind =
      s.def.type === 'number'
        ? 'number'
        : s.def.type === 'boolean'
          ? 'boolean'
          : s.def.type === 'array'
            ? 'keys'
            : 'string';
    out.push({
      path,
      env: CONFIG_ENV_PREFIX + path.map(snake).join('_'),
      flag: path.map(kebab).join('-'),
      kind,
      description,
      ...(defaultValue === undefined ? {} : { defaultValue }),
    });
  }
  return out;
}

/** Every configurable key, derived from the schema (the README's table and --help are built from it). */
export const CONFIG_KEYS: readonly ConfigKeySpec[] = Object.freeze(
  leafSpecs((AgentConfigSchema as unknown as { shape: Record<string, ZodLike> }).shape, []),
);

/**
 * Options for node:util parseArgs: `config` plus one flag per key (and the aliases): a string flag
 * each, a boolean one for boolean keys (`--annotate`; with parseArgs' `allowNegative: true` also
 * `--no-annotate`), repeatable for trustedKeys (`--trusted-key a.pem --trusted-key b.pem`).
 */
export const AGENT_CONFIG_FLAGS: ParseArgsOptionsConfig = Object.freeze({
  config: { type: 'string' },
  ...Object.fromEntries(
    CONFIG_KEYS.map((k) => [
      k.flag,
      k.kind === 'keys'
        ? { type: 'string', multiple: true }
        : k.kind === 'boolean'
          ? { type: 'boolean' }
          : { type: 'string' },
    ]),
  ),
  model: { type: 'string' },
  'trusted-key': { type: 'string', multiple: true },
}) as ParseArgsOptionsConfig;

/** `--outbox-capacity <n>   outbox.capacity, EDGEQC_OUTBOX_CAPACITY: description (default 10000)` lines. */
export function configHelp(): string {
  return CONFIG_KEYS.map((k) => {
    const dflt = k.defaultValue === undefined ? '' : ` (default ${JSON.stringify(k.defaultValue)})`;
    return `  --${k.flag} <${k.kind === 'keys' ? 'file|PEM' : k.kind === 'string' ? 'value' : k.kind}>\n      ${k.path.join('.')}, ${k.env}: ${k.description}${dflt}`;
  }).join('\n');
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let t = target;
  for (const k of path.slice(0, -1)) {
    const next = t[k];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) t[k] = {};
    t = t[k] as Record<string, unknown>;
  }
  t[path[path.length - 1] as string] = value;
}

function convert(kind: ConfigValueKind, text: string): unknown {
  const trimmed = text.trim();
  if (kind === 'number') return /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(trimmed) ? Number(trimmed) : text;
  if (kind === 'boolean') {
    if (/^(true|1|yes|on)$/i.test(trimmed)) return true;
    if (/^(false|0|no|off)$/i.test(trimmed)) return false;
    return text;
  }
  return text;
}

const PEM_BLOCK = /-----BEGIN ([A-Z ]+)-----\r?\n[A-Za-z0-9+/=\r\n]+-----END \1-----/g;

/** PEM text, or a file holding one or more PEM public keys: the PEM blocks. */
async function pemKeys(source: string, origin: string): Promise<string[]> {
  if (source.includes('-----BEGIN')) return (source.match(PEM_BLOCK) ?? [source]).map((b) => `${b}\n`);
  let text: string;
  try {
    text = await readFile(source, 'utf8');
  } catch (cause) {
    throw new AgentConfigError(
      'CONFIG_INVALID',
      `trustedKeys: expected PEM text or a readable PEM file (${origin}), got ${JSON.stringify(source)}`,
      { cause },
    );
  }
  const blocks = text.match(PEM_BLOCK);
  if (!blocks) {
    throw new AgentConfigError(
      'CONFIG_INVALID',
      `trustedKeys: expected PEM public keys in ${source} (${origin}), found no "-----BEGIN" block`,
    );
  }
  return blocks.map((b) => `${b}\n`);
}

async function specValue(spec: ConfigKeySpec, texts: readonly string[], origin: string): Promise<unknown> {
  if (spec.kind !== 'keys') return convert(spec.kind, texts[texts.length - 1] as string);
  const keys: string[] = [];
  for (const t of texts) keys.push(...(await pemKeys(t, origin)));
  return keys;
}

/** The config keys set by EDGEQC_* variables (and AWS_IOT_THING_NAME), shaped as the config object. */
export async function configFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const thing = env[THING_NAME_ENV];
  if (thing !== undefined && thing !== '') out.thingName = thing;
  for (const spec of CONFIG_KEYS) {
    const text = env[spec.env];
    if (text === undefined || text === '') continue;
    const texts = spec.kind === 'keys' && !text.includes('-----BEGIN') ? text.split(delimiter).filter(Boolean) : [text];
    setPath(out, spec.path, await specValue(spec, texts, spec.env));
  }
  return out;
}

/** The config keys set by flags (the `values` of parseArgs with AGENT_CONFIG_FLAGS). */
export async function configFromFlags(values: Readonly<Record<string, unknown>>): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const byFlag = new Map(CONFIG_KEYS.map((k) => [k.flag, k]));
  const named = Object.entries(values).map(([flag, v]) => [FLAG_ALIASES[flag] ?? flag, flag, v] as const);
  // an alias first, so that the full name wins when both are given
  named.sort((a, b) => Number(a[0] === a[1]) - Number(b[0] === b[1]));
  const keysTexts: string[] = [];
  for (const [flag, given, v] of named) {
    const spec = byFlag.get(flag);
    if (!spec || v === undefined) continue;
    const texts = (Array.isArray(v) ? v : [v]).map(String);
    if (spec.kind === 'keys') {
      keysTexts.push(...texts.map((t) => `${given}\u0000${t}`));
      continue;
    }
    setPath(out, spec.path, await specValue(spec, texts, `--${given}`));
  }
  if (keysTexts.length > 0) {
    const keys: string[] = [];
    for (const entry of keysTexts) {
      const [given, text] = entry.split('\u0000') as [string, string];
      keys.push(...(await pemKeys(text, `--${given}`)));
    }
    out.trustedKeys = keys;
  }
  return out;
}

export interface LoadConfigOptions {
  /** JSON config file (`--config`); default: env EDGEQC_CONFIG, else none. */
  readonly file?: string;
  /** Environment (default: none; pass process.env from main.ts). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** parseArgs values (AGENT_CONFIG_FLAGS). */
  readonly flags?: Readonly<Record<string, unknown>>;
}

/** Environment and flags merged (flags win), shaped as the config object: the overrides of a file. */
export async function configOverrides(options: LoadConfigOptions): Promise<Record<string, unknown>> {
  const fromEnv = await configFromEnv(options.env ?? {});
  const fromFlags = await configFromFlags(options.flags ?? {});
  return mergeConfig(fromEnv, fromFlags) as Record<string, unknown>;
}

function configFileOf(options: LoadConfigOptions): string | undefined {
  const fromFlag = options.flags?.config;
  if (typeof fromFlag === 'string' && fromFlag !== '') return fromFlag;
  if (options.file !== undefined) return options.file;
  const fromEnv = options.env?.[CONFIG_FILE_ENV];
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
}

/**
 * A ConfigSource over the file (if any) with env and flags merged over it; `watch` follows edits of
 * the file (adapters/config-file-source.ts).
 */
export async function createLocalConfigSource(
  options: LoadConfigOptions & { readonly onRejected?: (reason: string) => void },
): Promise<ConfigSource> {
  return createFileConfigSource({
    path: configFileOf(options),
    overrides: await configOverrides(options),
    onRejected: options.onRejected,
  });
}

/** The raw configuration: file, then env, then flags (not validated). */
export async function loadRawAgentConfig(options: LoadConfigOptions): Promise<unknown> {
  return (await createLocalConfigSource(options)).load();
}

/** Loads and validates the configuration (AgentConfigError names the key path and value). */
export async function loadAgentConfig(
  options: LoadConfigOptions & { readonly baseDir?: string },
): Promise<AgentConfig> {
  return parseAgentConfig(await loadRawAgentConfig(options), { baseDir: options.baseDir });
}
