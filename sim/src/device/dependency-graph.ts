/**
 * Resolves a deployment's components into the full set to run and the order to start them in, as the
 * nucleus does: every dependency must be one of the deployment's components at a version that meets
 * the requirement, or come from the catalog (newest version that meets it). Pure over a recipe lookup.
 */
import { LocalDeviceError } from '../errors.ts';
import type { ComponentRecipe } from './device-recipe.ts';
import { compareVersions, satisfies } from './version-requirement.ts';

export interface RecipeLookup {
  recipe(name: string, version: string): Promise<ComponentRecipe>;
  versions(name: string): Promise<readonly string[]>;
}

export interface ResolvedComponents {
  /** Name -> recipe, for every component that will run. */
  readonly components: ReadonlyMap<string, ComponentRecipe>;
  /** Dependencies before dependents. */
  readonly startOrder: readonly string[];
}

export async function resolveComponents(
  roots: Readonly<Record<string, string>>,
  lookup: RecipeLookup,
): Promise<ResolvedComponents> {
  const chosen = new Map<string, ComponentRecipe>();
  const queue = Object.entries(roots);
  for (const [name, version] of queue) chosen.set(name, await lookup.recipe(name, version));
  const pending = [...chosen.values()];
  while (pending.length > 0) {
    const r = pending.shift()!;
    for (const [dep, { requirement }] of Object.entries(r.dependencies)) {
      const have = chosen.get(dep);
      if (have) {
        if (!satisfies(have.version, requirement)) {
          throw new LocalDeviceError(
            'DEPENDENCY_CONFLICT',
            `${r.name} ${r.version} requires ${dep} ${requirement}, but the deployment has ${dep} ${have.version}`,
          );
        }
        continue;
      }
      const candidates = [...(await lookup.versions(dep))]
        .filter((v) => satisfies(v, requirement))
        .sort(compareVersions);
      const best = candidates.at(-1);
      if (!best) {
        throw new LocalDeviceError(
          'DEPENDENCY_MISSING',
          `${r.name} ${r.version} requires ${dep} ${requirement}: no such version in the component catalog`,
        );
      }
      const recipe = await lookup.recipe(dep, best);
      chosen.set(dep, recipe);
      pending.push(recipe);
    }
  }
  return { components: chosen, startOrder: topologicalOrder(chosen) };
}

export function topologicalOrder(components: ReadonlyMap<string, ComponentRecipe>): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: readonly string[]) => {
    const s = state.get(name);
    if (s === 'done') return;
    if (s === 'visiting') {
      throw new LocalDeviceError('DEPENDENCY_CYCLE', `dependency cycle: ${[...path, name].join(' -> ')}`);
    }
    state.set(name, 'visiting');
    const r = components.get(name);
    for (const dep of Object.keys(r?.dependencies ?? {}).sort()) if (components.has(dep)) visit(dep, [...path, name]);
    state.set(name, 'done');
    order.push(name);
  };
  for (const name of [...components.keys()].sort()) visit(name, []);
  return order;
}
