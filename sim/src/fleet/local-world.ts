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
import type { HealthProbe } from '../device/core-device.ts';
import { CoreDevice, type DeviceEvent, type DeviceTiming } from '../device/core-device.ts';
import { type EmbeddedBroker, startEmbeddedBroker } from '../mqtt/embedded-broker.ts';
import { FleetObserver } from '../mqtt/fleet-observer.ts';
import { agentHealthProbe, INFERENCE_COMPONENT } from './agent-health-probe.ts';

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
  readonly faults: DeviceFaults;
  close(): Promise<void>;
}

/**
 * Faults injected on the device side: a device that refuses a model version (its agent found unhealthy
 * once a deployment starts it with that model), so the deployment fails there and the device rolls back,
 * as a device whose agent degrades on a release would.
 */
export class DeviceFaults {
  readonly #refused = new Map<string, string>();

  refuseModel(thingName: string, modelVersion: string, reason: string): void {
    this.#refused.set(`${thingName}@${modelVersion}`, reason);
  }

  /** The probe that applies the faults before asking `inner`. */
  wrap(inner: HealthProbe): HealthProbe {
    return async (input) => {
      if (input.component === INFERENCE_COMPONENT) {
        for (const [name, dep] of Object.entries(input.dependencies)) {
          if (!name.startsWith('com.edgeqc.Model.')) continue;
          const reason = this.#refused.get(`${input.thingName}@${dep.version}`);
          if (reason) return { state: 'unhealthy', reason: `injected fault: ${reason}` };
        }
      }
      return inner(input);
    };
  }
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
  const faults = new DeviceFaults();
  const health = faults.wrap(agentHealthProbe((thing) => observer.status(thing)));
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
    faults,
    async close() {
      await fleet.close();
      await observer.close();
      await broker.close();
    },
  };
}
