/**
 * The one-machine world, wired in one place: an embedded broker (IoT Core), a fleet observer on it, the
 * artifact store, component catalog and model registry as folders, and N simulated core devices in
 * their thing groups, each serving Greengrass IPC and judged healthy by the agent's retained status.
 *   <root>/store  <root>/catalog  <root>/registry  <root>/devices/<thingName>/
 */
import { join } from 'node:path';
import { LocalArtifactStore } from '../adapters/local-artifact-store.ts';
import { LocalComponentCatalog } from '../adapters/local-component-catalog.ts';
import { LocalFleet } from '../adapters/local-fleet.ts';
import { LocalModelRegistry } from '../adapters/local-model-registry.ts';
import { CoreDevice, type DeviceEvent, type DeviceTiming } from '../device/core-device.ts';
import { type EmbeddedBroker, startEmbeddedBroker } from '../mqtt/embedded-broker.ts';
import { FleetObserver } from '../mqtt/fleet-observer.ts';
import { agentHealthProbe } from './agent-health-probe.ts';

export interface LocalDeviceSpec {
  readonly thingName: string;
  readonly thingGroups: readonly string[];
}

export interface LocalWorldOptions {
  readonly root: string;
  readonly devices: readonly LocalDeviceSpec[];
  readonly region?: string;
  readonly deviceTiming?: DeviceTiming;
  readonly onDeviceEvent?: (event: DeviceEvent) => void;
  /** Extra environment for every component process (e.g. log level). */
  readonly componentEnv?: Readonly<Record<string, string>>;
}

export interface LocalWorld {
  readonly root: string;
  readonly region: string;
  readonly broker: EmbeddedBroker;
  readonly observer: FleetObserver;
  readonly store: LocalArtifactStore;
  readonly catalog: LocalComponentCatalog;
  readonly registry: LocalModelRegistry;
  readonly fleet: LocalFleet;
  close(): Promise<void>;
}

export async function createLocalWorld(options: LocalWorldOptions): Promise<LocalWorld> {
  const region = options.region ?? 'us-east-1';
  const broker = await startEmbeddedBroker();
  const observer = new FleetObserver();
  try {
    await observer.start(broker.url);
  } catch (err) {
    await broker.close();
    throw err;
  }
  const store = new LocalArtifactStore(join(options.root, 'store'));
  const catalog = new LocalComponentCatalog(join(options.root, 'catalog'), store, region);
  const registry = new LocalModelRegistry(join(options.root, 'registry'), { region });
  const health = agentHealthProbe((thing) => observer.status(thing));
  const devices = options.devices.map(
    (d) =>
      new CoreDevice({
        thingName: d.thingName,
        thingGroups: d.thingGroups,
        root: join(options.root, 'devices', d.thingName),
        catalog,
        artifacts: store,
        iotCore: broker.iotCore,
        health,
        region,
        env: options.componentEnv,
        timing: options.deviceTiming,
        onEvent: options.onDeviceEvent,
      }),
  );
  const fleet = new LocalFleet(devices, region);
  return {
    root: options.root,
    region,
    broker,
    observer,
    store,
    catalog,
    registry,
    fleet,
    async close() {
      await fleet.close();
      await observer.close();
      await broker.close();
    },
  };
}
