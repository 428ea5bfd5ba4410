/**
 * The `agent` command line: the run-mode flags (--greengrass, --validate-config, --help) beside one flag
 * per configuration key (config/load-config.ts derives them from the schema: --camera-dir, --model,
 * --mqtt-url, --thing-name, --outbox-capacity, ...).
 */
import { parseArgs } from 'node:util';
import { AGENT_CONFIG_FLAGS, configHelp } from '../config/load-config.ts';
import { AgentConfigError, messageOf } from '../errors.ts';

export function agentHelp(): string {
  return `usage: edgeqc agent [options]            (device binary: node main.js agent [options])

Runs the inspection agent: watches the camera folder, inspects every complete image once with the
signed model bundle, publishes each inspection (and a retained status, and errors) over MQTT or
Greengrass IPC, and moves the image to done/<verdict>/ or quarantine/ under the work folder.
SIGTERM/SIGINT stop it in order (in-flight images finished, outbox flushed, status offline).

quick try:
  edgeqc agent --camera-dir ./camera --model ./bundle --trusted-key dev.pub.pem \\
    --mqtt-url mqtt://127.0.0.1:1883 --thing-name line-1
  (the embedded broker of \`npm start\` speaks MQTT 3.1.1 only: add --mqtt-version 3.1.1)

run mode:
  --greengrass          run as the Greengrass component: configuration from IPC GetConfiguration
                        (updates validated first, an invalid one rejected), publish with
                        PublishToIoTCore, thing name from AWS_IOT_THING_NAME, model folder from --model
                        or EDGEQC_MODEL_DIR, relative paths against the working folder, lifecycle
                        reported with UpdateState (RUNNING once a model serves, ERRORED when the model
                        is refused and none serves)
  --config <file.json>  configuration file (or EDGEQC_CONFIG); edits are validated and applied
  --validate-config     check the configuration and exit: 0 and the configuration, or 1 and the key
                        path and value at fault
  -h, --help            this text

configuration (file < EDGEQC_* environment < flags; --model is --model-dir, --trusted-key is
--trusted-keys and may be repeated):
${configHelp()}
`;
}

export interface AgentArgs {
  readonly help: boolean;
  readonly validateOnly: boolean;
  readonly greengrass: boolean;
  /** parseArgs values: the configuration flags, for load-config. */
  readonly flags: Readonly<Record<string, unknown>>;
}

/** Parses the `agent` flags; a bad or unknown flag is an AgentConfigError (code USAGE) naming it. */
export function parseAgentArgs(argv: readonly string[]): AgentArgs {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      allowNegative: true,
      options: {
        ...AGENT_CONFIG_FLAGS,
        help: { type: 'boolean', short: 'h' },
        'validate-config': { type: 'boolean' },
        greengrass: { type: 'boolean' },
      },
    }));
  } catch (cause) {
    throw new AgentConfigError('USAGE', `${messageOf(cause)} (edgeqc agent --help)`, { cause });
  }
  const { help, 'validate-config': validateOnly, greengrass, ...flags } = values;
  return { help: help === true, validateOnly: validateOnly === true, greengrass: greengrass === true, flags };
}
