/**
 * The `agent` command line the demo and the benchmark start: a camera folder, the demo bundle and its
 * trusted key, a broker over MQTT 3.1.1, a thing name, a 5 s status heartbeat; `extra` flags last.
 */
import type { DemoBundle } from '@edgeqc/edge-component/demo-bundle';

export interface DemoAgentArgs {
  readonly cameraDir: string;
  readonly bundle: Pick<DemoBundle, 'dir' | 'publicKeyFile'>;
  readonly brokerUrl: string;
  readonly thingName: string;
  readonly logLevel: string;
}

export function demoAgentArgs(a: DemoAgentArgs, extra: readonly string[] = []): string[] {
  return [
    '--camera-dir',
    a.cameraDir,
    '--model',
    a.bundle.dir,
    '--trusted-key',
    a.bundle.publicKeyFile,
    '--mqtt-url',
    a.brokerUrl,
    '--mqtt-version',
    '3.1.1',
    '--thing-name',
    a.thingName,
    '--status-interval-sec',
    '5',
    '--log-level',
    a.logLevel,
    ...extra,
  ];
}
