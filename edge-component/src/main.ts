/**
 * The device binary (bundled by package-agent into main.js, run on a bare Node 24):
 * `node main.js agent [--greengrass] [--config f] [flags]`, `--help`; the one place that reads argv,
 * the environment and the process signals.
 *
 * The `agent` command: the configuration (runtime/config-plan.ts), validated once; one run of the agent
 * with it (runtime/agent-runtime.ts wires the adapters, the model manager and the agent). A
 * configuration update is validated first (an invalid one is rejected, which fails a Greengrass
 * deployment) and, when accepted and different, applied by restarting the agent in-process.
 *
 * Only production dependencies here: no test support, no dev-only packages.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { redactUrl } from './adapters/mqtt-url.ts';
import { type AgentArgs, agentHelp, parseAgentArgs } from './agent/agent-args.ts';
import type { CommandIo } from './cli/command.ts';
import type { AgentConfig } from './config/schema.ts';
import { AgentConfigError, EdgeError, messageOf } from './errors.ts';
import { createLogger, type Logger } from './log.ts';
import { type AgentRuntime, createAgentRuntime } from './runtime/agent-runtime.ts';
import { type ConfigPlan, describeConfig, planConfig, validateConfig } from './runtime/config-plan.ts';

const MAIN_HELP = `usage: node main.js <command> [options]

commands:
  agent    run the inspection agent (node main.js agent --help)
`;

/** Stop must be done within this (Greengrass waits for the Shutdown script, then kills). */
const STOP_DEADLINE_MS = 19_000;

/** The configuration as logged and printed: no keys, and a broker URL's password redacted. */
function shownConfig(config: AgentConfig): Record<string, unknown> {
  const shown = describeConfig(config);
  return config.mqtt.url === undefined
    ? shown
    : { ...shown, mqtt: { ...config.mqtt, url: redactUrl(config.mqtt.url) } };
}

/** `agent`: runs until io.signal aborts; resolves to the exit code. */
export async function runAgentCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  let args: AgentArgs;
  try {
    args = parseAgentArgs(argv);
  } catch (err) {
    io.stderr.write(`edgeqc agent: ${messageOf(err)}\n`);
    return 2;
  }
  if (args.help) {
    io.stdout.write(agentHelp());
    return 0;
  }
  let log: Logger | undefined;
  const logger = () => {
    log ??= createLogger('edgeqc-agent');
    return log;
  };
  let plan: ConfigPlan;
  let config: AgentConfig;
  try {
    plan = await planConfig(args, io.env, logger);
  } catch (err) {
    io.stderr.write(`edgeqc agent: ${messageOf(err)}\n`);
    return 1;
  }
  try {
    config = validateConfig(plan.complete(await plan.source.load()));
  } catch (err) {
    io.stderr.write(`edgeqc agent: ${messageOf(err)}\n`);
    await plan.session?.close();
    return 1;
  }
  if (args.validateOnly) {
    io.stdout.write(`configuration valid:\n${JSON.stringify(shownConfig(config), null, 2)}\n`);
    await plan.session?.close();
    return 0;
  }
  const runLog = createLogger('edgeqc-agent', config.logLevel);
  log = runLog;
  runLog.info({ config: shownConfig(config), greengrass: args.greengrass }, 'starting');
  await mkdir(config.cameraDir, { recursive: true });
  await mkdir(join(config.workDir), { recursive: true });

  let runtime: AgentRuntime | undefined;
  let exitCode = 0;
  // Configuration updates are applied one at a time, never during start or stop.
  let chain: Promise<void> = Promise.resolve();
  const start = async (c: AgentConfig) => {
    runtime = await createAgentRuntime(c, { log: runLog, greengrass: plan.session });
  };
  try {
    await start(config);
  } catch (err) {
    runLog.fatal({ err }, 'the agent could not start');
    io.stderr.write(`edgeqc agent: ${messageOf(err)}\n`);
    await plan.session?.close();
    return 1;
  }

  let stopWatching: () => Promise<void> = async () => undefined;
  try {
    stopWatching = await plan.source.watch({
      validate(raw) {
        try {
          validateConfig(plan.complete(raw));
          return { accepted: true };
        } catch (err) {
          runLog.warn({ err: messageOf(err) }, 'configuration update rejected');
          return { accepted: false, reason: messageOf(err) };
        }
      },
      onChange(raw) {
        chain = chain.then(async () => {
          if (io.signal.aborted) return;
          let next: AgentConfig;
          try {
            next = validateConfig(plan.complete(raw));
          } catch (err) {
            runLog.warn({ err: messageOf(err) }, 'configuration change not applied');
            return;
          }
          if (JSON.stringify(next) === JSON.stringify(config)) return;
          runLog.info({ config: shownConfig(next) }, 'configuration changed: restarting the agent with it');
          await runtime?.stop('configuration changed');
          config = next;
          await start(next).catch((err: unknown) => {
            runLog.fatal({ err }, 'the agent could not restart with the new configuration');
            exitCode = 1;
          });
        });
      },
    });
  } catch (err) {
    runLog.warn({ err }, 'configuration updates cannot be followed; running with the configuration as loaded');
  }

  await new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve();
    else io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await chain;
  await stopWatching().catch(() => undefined);
  await runtime?.stop(typeof io.signal.reason === 'string' ? io.signal.reason : 'stopped');
  await plan.session?.close().catch(() => undefined);
  return exitCode;
}

/** The device binary: dispatches the command, turns SIGTERM/SIGINT into an orderly stop. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${MAIN_HELP}\n${agentHelp()}`);
    return command === undefined ? 2 : 0;
  }
  if (command !== 'agent') {
    process.stderr.write(`main.js: unknown command ${JSON.stringify(command)}\n${MAIN_HELP}`);
    return 2;
  }
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      process.stderr.write(`${signal} again: exiting now\n`);
      process.exit(130);
    }
    controller.abort(signal);
    setTimeout(() => {
      process.stderr.write(`the agent did not stop within ${STOP_DEADLINE_MS} ms; exiting\n`);
      process.exit(1);
    }, STOP_DEADLINE_MS).unref();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    return await runAgentCommand(rest, {
      stdout: process.stdout,
      stderr: process.stderr,
      env: process.env,
      signal: controller.signal,
    });
  } catch (err) {
    const code = err instanceof EdgeError ? ` (${err.code})` : '';
    process.stderr.write(`main.js agent: ${messageOf(err)}${code}\n`);
    return err instanceof AgentConfigError ? 1 : 70;
  }
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
      // Native handles (aws-crt, onnxruntime) may linger; the work is done.
      setTimeout(() => process.exit(code), 500).unref();
    },
    (err: unknown) => {
      process.stderr.write(`main.js: ${messageOf(err)}\n`);
      process.exit(70);
    },
  );
}
