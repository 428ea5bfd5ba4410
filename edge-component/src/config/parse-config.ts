/**
 * `parseAgentConfig` validates a raw configuration once, resolves relative paths against a base folder,
 * fills the derived defaults (work folder, outbox folder) and returns a deep-frozen config; and what
 * is derived from a config (the topic prefix, the work folders).
 */
import { isAbsolute, resolve } from 'node:path';
import { AgentConfigError } from '../errors.ts';
import { type AgentConfig, AgentConfigSchema } from './agent-config-schema.ts';
import { describeConfigIssues, show } from './config-issues.ts';
import { resolveUploadPaths } from './upload-schemas.ts';

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
    http: {
      ...c.http,
      certFile: absOpt(c.http.certFile),
      keyFile: absOpt(c.http.keyFile),
      caFile: absOpt(c.http.caFile),
      tokenFile: absOpt(c.http.tokenFile),
    },
    lfv: { ...c.lfv, socket: absOpt(c.lfv.socket) },
    upload: resolveUploadPaths(c.upload, base),
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
