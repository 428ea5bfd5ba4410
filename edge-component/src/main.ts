/**
 * The one wiring place, and the device binary (bundled by package-agent into main.js, run on a bare
 * Node 24): `node main.js agent [--greengrass] [--config f] [flags]`, `--help`.
 *
 * Wiring: configuration (Greengrass IPC GetConfiguration, or file + EDGEQC_* + flags), validated once
 * (schema.ts); publisher (IPC PublishToIoTCore under Greengrass; otherwise MQTT 5, or MQTT 3.1.1 for the
 * embedded Aedes broker), with the retained `offline` status as Last Will; camera folder source; sharp
 * preparer; disk outbox, seen index and folder archive under the work folder; the model manager; and
 * the agent. A configuration update is validated first (an invalid one is rejected, which fails a
 * Greengrass deployment) and, when accepted and different, applied by restarting the agent in-process.
 *
 * Only production dependencies here: no test support, no dev-only packages.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createCameraFolderSource } from './adapters/camera-folder-source.ts';
import { mergeConfig } from './adapters/config-file-source.ts';
import { createDiskOutbox } from './adapters/disk-outbox.ts';
import { createFolderArchive } from './adapters/folder-archive.ts';
import { createIpcConfigSource } from './adapters/greengrass-ipc/ipc-config-source.ts';
import { createIpcLifecycleReporter } from './adapters/greengrass-ipc/ipc-lifecycle-reporter.ts';
import { createIpcPublisher } from './adapters/greengrass-ipc/ipc-publisher.ts';
import { createGreengrassIpcSession, type GreengrassIpcSession } from './adapters/greengrass-ipc/ipc-session.ts';
import { parseBrokerUrl } from './adapters/mqtt-url.ts';
import { createMqtt5Publisher } from './adapters/mqtt5-publisher.ts';
import { createMqtt311Publisher } from './adapters/mqtt311-publisher.ts';
import { loadDetector } from './adapters/onnx-detector.ts';
import { createSeenIndex } from './adapters/seen-index.ts';
import { createSharpImagePreparer } from './adapters/sharp-image-preparer.ts';
import { type AgentArgs, agentHelp, parseAgentArgs } from './agent/agent-args.ts';
import { jsonBytes, willStatus } from './agent/agent-messages.ts';
import { AGENT_VERSION } from './agent/agent-version.ts';
import { type Agent, createAgent, type ModelEvent } from './agent/create-agent.ts';
import type { CommandIo } from './cli/command.ts';
import { configOverrides, createLocalConfigSource } from './config/load-config.ts';
import { type AgentConfig, parseAgentConfig, topicPrefixOf, workFolders } from './config/schema.ts';
import { topicsFor } from './contracts/topics.ts';
import { AgentConfigError, EdgeError } from './errors.ts';
import { inspectImage } from './inference/inspect-image.ts';
import { runSelfTests } from './inference/self-test.ts';
import { createLogger, type Logger } from './log.ts';
import { createModelManager } from './model/model-manager.ts';
import type { ConfigSource, Publisher, PublishRequest } from './ports.ts';

const MAIN_HELP = `usage: node main.js <command> [options]

commands:
  agent    run the inspection agent (node main.js agent --help)
`;

/** Stop must be done within this (Greengrass waits for the Shutdown script, then kills). */
const STOP_DEADLINE_MS = 19_000;

interface ConfigPlan {
  readonly source: ConfigSource;
  /** The raw configuration from the source, completed (what is validated). */
  complete(raw: unknown): unknown;
  readonly session?: GreengrassIpcSession;
}

async function planConfig(args: AgentArgs, env: CommandIo['env'], log: () => Logger): Promise<ConfigPlan> {
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

function validate(raw: unknown): AgentConfig {
  const config = parseAgentConfig(raw, { baseDir: process.cwd() });
  topicPrefixOf(config); // a thing name is required to run
  return config;
}

/** A short, key-free view of the configuration for --validate-config and the start-up log. */
export function describeConfig(config: AgentConfig): Record<string, unknown> {
  return { ...config, trustedKeys: `${config.trustedKeys.length} key(s)` };
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** One run of the agent with one configuration (a configuration change makes a new one). */
export interface AgentRuntime {
  readonly agent: Agent;
  stop(reason: string): Promise<void>;
}

function createPublisher(config: AgentConfig, will: PublishRequest, session?: GreengrassIpcSession): Publisher {
  if (session) return createIpcPublisher(session);
  const url = config.mqtt.url;
  if (url === undefined) {
    throw new AgentConfigError(
      'CONFIG_INVALID',
      'mqtt.url: expected a broker URL (--mqtt-url, EDGEQC_MQTT_URL) when not running under Greengrass, got nothing',
    );
  }
  const clientId = config.mqtt.clientId ?? (config.thingName as string);
  const keepAliveSeconds = config.mqtt.keepAliveSec;
  if (config.mqtt.version === '3.1.1') return createMqtt311Publisher({ url, clientId, will, keepAliveSeconds });
  const address = parseBrokerUrl(url);
  if (address.tls) {
    if (config.mqtt.certFile === undefined || config.mqtt.keyFile === undefined) {
      throw new AgentConfigError(
        'CONFIG_INVALID',
        `mqtt.certFile: expected a client certificate and key (--cert, --key) for ${url}, got nothing`,
      );
    }
    return createMqtt5Publisher({
      endpoint: {
        type: 'iot-core',
        endpoint: address.host,
        port: address.port,
        certPath: config.mqtt.certFile,
        keyPath: config.mqtt.keyFile,
        caPath: config.mqtt.caFile,
      },
      clientId,
      will,
      keepAliveSeconds,
    });
  }
  return createMqtt5Publisher({ endpoint: { type: 'url', url }, clientId, will, keepAliveSeconds });
}

/** Wires the adapters, the model manager and the agent for one configuration, and starts them. */
export async function createAgentRuntime(
  config: AgentConfig,
  context: { readonly log: Logger; readonly greengrass?: GreengrassIpcSession },
): Promise<AgentRuntime> {
  const { log } = context;
  const thingName = config.thingName as string;
  const topics = topicsFor(topicPrefixOf(config));
  const folders = workFolders(config);
  await mkdir(folders.state, { recursive: true });
  const will: PublishRequest = {
    topic: topics.status,
    payload: jsonBytes(willStatus(thingName, AGENT_VERSION)),
    qos: 1,
    retain: true,
  };
  const publisher = createPublisher(config, will, context.greengrass);
  publisher.connect().catch((err: unknown) => {
    // Both MQTT clients keep trying in the background; the outbox holds the messages meanwhile.
    log.warn({ err: message(err) }, 'broker not reachable yet; inspections wait in the outbox');
  });
  const preparer = createSharpImagePreparer({
    maxFileBytes: config.limits.maxFileBytes,
    maxPixels: config.limits.maxPixels,
  });
  const outbox = await createDiskOutbox({
    dir: config.outbox.dir,
    capacity: config.outbox.capacity,
    maxBytes: config.outbox.maxBytes,
    policy: config.outbox.policy,
    log,
  });
  const seen = await createSeenIndex({ file: join(folders.state, 'seen-index.jsonl'), capacity: config.seenCapacity });
  const archive = createFolderArchive({ root: config.workDir, annotate: config.annotate });
  const camera = createCameraFolderSource({ dir: config.cameraDir });

  let agent: Agent | undefined;
  const early: ModelEvent[] = [];
  const forward = (event: ModelEvent) => {
    if (agent) agent.modelEvent(event);
    else early.push(event);
  };
  const models = createModelManager({
    dir: config.model.dir,
    trustedKeys: config.trustedKeys,
    minModelVersion: config.model.minVersion,
    detector: {
      intraOpThreads: config.inference.intraOpThreads,
      interOpThreads: config.inference.interOpThreads,
      worker: config.inference.detectorThread === 'worker',
      allowSpinning: config.inference.allowSpinning,
      pipelineNice: config.inference.pipelineNice,
    },
    loadDetector,
    runSelfTests,
    preparer,
    log,
    onEvent: (event) =>
      forward(event.type === 'model-loaded' ? { type: 'loaded' } : { type: 'rejected', refusal: event.refusal }),
  });
  await models.start();
  agent = createAgent(
    {
      camera,
      preparer,
      models,
      inspect: inspectImage,
      outbox,
      publisher,
      archive,
      seen,
      lifecycle: context.greengrass ? createIpcLifecycleReporter(context.greengrass) : undefined,
      log,
    },
    {
      thingName,
      topicPrefix: topicPrefixOf(config),
      agentVersion: AGENT_VERSION,
      statusIntervalSec: config.statusIntervalSec,
      inFlight: config.inference.inFlight,
      thresholds: config.thresholds,
    },
  );
  await agent.start();
  for (const event of early) agent.modelEvent(event);
  const running = agent;
  return {
    agent: running,
    async stop(reason) {
      await running.stop(reason);
      await models.close().catch((err: unknown) => log.warn({ err }, 'model manager close failed'));
    },
  };
}

/** `agent`: runs until io.signal aborts; resolves to the exit code. */
export async function runAgentCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  let args: AgentArgs;
  try {
    args = parseAgentArgs(argv);
  } catch (err) {
    io.stderr.write(`edgeqc agent: ${message(err)}\n`);
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
    io.stderr.write(`edgeqc agent: ${message(err)}\n`);
    return 1;
  }
  try {
    config = validate(plan.complete(await plan.source.load()));
  } catch (err) {
    io.stderr.write(`edgeqc agent: ${message(err)}\n`);
    await plan.session?.close();
    return 1;
  }
  if (args.validateOnly) {
    io.stdout.write(`configuration valid:\n${JSON.stringify(describeConfig(config), null, 2)}\n`);
    await plan.session?.close();
    return 0;
  }
  const runLog = createLogger('edgeqc-agent', config.logLevel);
  log = runLog;
  runLog.info({ config: describeConfig(config), greengrass: args.greengrass }, 'starting');
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
    io.stderr.write(`edgeqc agent: ${message(err)}\n`);
    await plan.session?.close();
    return 1;
  }

  let stopWatching: () => Promise<void> = async () => undefined;
  try {
    stopWatching = await plan.source.watch({
      validate(raw) {
        try {
          validate(plan.complete(raw));
          return { accepted: true };
        } catch (err) {
          runLog.warn({ err: message(err) }, 'configuration update rejected');
          return { accepted: false, reason: message(err) };
        }
      },
      onChange(raw) {
        chain = chain.then(async () => {
          if (io.signal.aborted) return;
          let next: AgentConfig;
          try {
            next = validate(plan.complete(raw));
          } catch (err) {
            runLog.warn({ err: message(err) }, 'configuration change not applied');
            return;
          }
          if (JSON.stringify(next) === JSON.stringify(config)) return;
          runLog.info({ config: describeConfig(next) }, 'configuration changed: restarting the agent with it');
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
    process.stderr.write(`main.js agent: ${message(err)}${code}\n`);
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
      process.stderr.write(`main.js: ${message(err)}\n`);
      process.exit(70);
    },
  );
}
