/** `edgeqc demo-rollout`: the whole system on one machine (see demo-rollout.ts). */
import { parseArgs } from 'node:util';
import type { Command, CommandIo } from '@edgeqc/model-component/cli';

const HELP = `usage: edgeqc demo-rollout [--keep] [--verbose] [--interval-ms <n>] [--wait-ms <n>]

Runs the whole system on one machine: an embedded MQTT broker, three simulated Greengrass core devices
(canary-1 in the canary group, line-1 and line-2 in the fleet group) running the packaged agent with
cameras, and the state machine the CDK app synthesizes (aws-local-stepfunctions). Model 1.0.0 rolls out,
then 2.0.0 (canary, then fleet, cameras running), then 2.1.0, signed and passing its self-tests but
calling most tags defects, which the canary's quality gate refuses with the figures (the fleet is never
touched), then a tampered 3.0.0 that the canary refuses, then 3.1.0, which passes the canary and one
fleet device refuses: the rollout is undone and every device ends on 2.0.0 again. Ends on its own with
a summary; exit code 0 when the story went as it must.

options:
  --keep             keep the working folder (devices, store, logs) and print its path
  --verbose          print every device lifecycle change
  --interval-ms <n>  one camera image per device every n ms (default 400)
  --wait-ms <n>      each Wait state of the state machine waits n ms (default 500)
`;

async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      keep: { type: 'boolean' },
      verbose: { type: 'boolean' },
      'interval-ms': { type: 'string' },
      'wait-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const number = (flag: string, raw: string | undefined): number | undefined => {
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > 600_000) {
      throw new Error(`--${flag} '${raw}': expected a whole number of milliseconds from 1 to 600000`);
    }
    return n;
  };
  const say = (line: string) => io.stdout.write(`${line}\n`);
  // Loaded here: the demo pulls in the packager and the devices, which other commands do not need.
  const { runDemoRollout } = await import('./demo-rollout.ts');
  const report = await runDemoRollout({
    say,
    keepRoot: values.keep,
    shotIntervalMs: number('interval-ms', values['interval-ms']),
    waitMs: number('wait-ms', values['wait-ms']),
    onDeviceEvent: values.verbose
      ? (e) =>
          say(
            e.type === 'component'
              ? `    [${e.thingName}] ${e.component} ${e.version} ${e.state}${e.detail ? `: ${e.detail}` : ''}`
              : `    [${e.thingName}] deployment ${e.deployment.deploymentName} ${e.deployment.coreDeviceExecutionStatus}`,
          )
      : undefined,
  });
  if (values.keep) say(`working folder kept: ${report.root}`);
  const [v1, v2, bad, v3, v4] = report.steps;
  // The misbehaving release: refused by the canary's quality gate, the fleet untouched.
  const gated =
    bad?.execution.status === 'FAILED' &&
    bad.notifications.some((n) => /QualityGateFailedError/.test(n) && /The fleet was not touched/.test(n));
  const nothingTwice = report.devices.every((d) => d.inspectedTwice.length === 0);
  // After the undo of the release the fleet refused, every device is back on 2.0.0.
  const undone =
    report.afterUndo.length === report.devices.length &&
    report.afterUndo.every((d) => d.modelVersion === '2.0.0' && d.restore.status === 'SUCCEEDED');
  const ok =
    v1?.execution.status === 'SUCCEEDED' &&
    v2?.execution.status === 'SUCCEEDED' &&
    gated &&
    v3?.execution.status === 'FAILED' &&
    v4?.execution.status === 'FAILED' &&
    undone &&
    nothingTwice;
  say(ok ? 'the story went as it must' : 'the story did NOT go as it must (see above)');
  return ok ? 0 : 1;
}

export const demoRolloutCommand: Command = {
  name: 'demo-rollout',
  summary: 'the whole system on one machine: the CDK state machine rolls models out to simulated devices',
  run,
};
