/**
 * Where the agent's configuration comes from and how it is checked: under Greengrass the component
 * configuration (IPC GetConfiguration) with the environment and flags over it; otherwise the config
 * file + EDGEQC_* + flags (load-config.ts). Validated once per load or update (schema.ts).
 */
import { mergeConfig } from '../adapters/config-file-source.ts';
import { createIpcConfigSource } from '../adapters/greengrass-ipc/ipc-config-source.ts';
import { createGreengrassIpcSession, type GreengrassIpcSession } from '../adapters/greengrass-ipc/ipc-session.ts';
import type { AgentArgs } from '../agent/agent-args.ts';
import type { CommandIo } from '../cli/command.ts';
import { configOverrides, createLocalConfigSource } from '../config/load-config.ts';
import { type AgentConfig, parseAgentConfig, topicPrefixOf } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import type { ConfigSource } from '../ports.ts';

export interface ConfigPlan {
  readonly source: ConfigSource;
  /** The raw configuration from the source, completed (what is validated). */
  complete(raw: unknown): unknown;
  readonly session?: GreengrassIpcSession;
}

export async function planConfig(args: AgentArgs, env: CommandIo['env'], log: () => Logger): Promise<ConfigPlan> {
  if (args.greengrass) {
    const session = createGreengrassIpcSession();
    // The component configuration takes the config file's place; AWS_IOT_THING_NAME, EDGEQC_MODEL_DIR
    // (the recipe's Setenv) and the recipe's --model flag go over it.
    const overrides = await configOverrides({ env, flags: args.flags });
    return {
      session,
      source: createIpcConfigSource(session, {
        onError: (err) => log().warn({ err }, 'Greengrass configuration update not handled'),
      }),
      complete: (raw) => mergeConfig(raw ?? {}, overrides),
    };
  }
  const source = await createLocalConfigSource({
    env,
    flags: args.flags,
    onRejected: (reason) => log().warn({ reason }, 'configuration file edit rejected; running as before'),
  });
  return { source, complete: (raw) => raw };
}

export function validateConfig(raw: unknown): AgentConfig {
  const config = parseAgentConfig(raw, { baseDir: process.cwd() });
  topicPrefixOf(config); // a thing name is required to run
  return config;
}

/** A short, key-free view of the configuration for --validate-config and the start-up log. */
export function describeConfig(config: AgentConfig): Record<string, unknown> {
  return { ...config, trustedKeys: `${config.trustedKeys.length} key(s)` };
}
