/** Where things live under a simulated core device's root folder, as on a Greengrass device. */
import { join } from 'node:path';

export interface DeviceLayout {
  readonly root: string;
  artifacts(component: string, version: string): string;
  decompressed(component: string, version: string): string;
  recipe(component: string, version: string): string;
  work(component: string): string;
  log(component: string): string;
  /** The nucleus' own log: deployments and lifecycle changes. */
  readonly nucleusLog: string;
  /** Effective configuration and versions of the running components (written after each deployment). */
  readonly effectiveConfig: string;
  deployment(deploymentId: string): string;
}

export function deviceLayout(root: string): DeviceLayout {
  return {
    root,
    artifacts: (c, v) => join(root, 'packages', 'artifacts', c, v),
    decompressed: (c, v) => join(root, 'packages', 'artifacts-unarchived', c, v),
    recipe: (c, v) => join(root, 'packages', 'recipes', `${c}-${v}.recipe.json`),
    work: (c) => join(root, 'work', c),
    log: (c) => join(root, 'logs', `${c}.log`),
    nucleusLog: join(root, 'logs', 'greengrass.log'),
    effectiveConfig: join(root, 'config', 'effective-config.json'),
    deployment: (id) => join(root, 'deployments', `${id}.json`),
  };
}
