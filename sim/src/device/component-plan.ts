/**
 * What a device will run for one component: the recipe, its configuration, and its lifecycle with every
 * recipe variable resolved. Two plans with the same fingerprint need no restart. Pure.
 */
import { createHash } from 'node:crypto';
import {
  applyConfigurationUpdate,
  type ConfigurationUpdate,
  effectiveConfiguration,
  type JsonObject,
} from './configuration.ts';
import type { DeviceLayout } from './device-layout.ts';
import type { ComponentRecipe, LifecycleStep } from './device-recipe.ts';
import { type ComponentPaths, resolveRecipeVariables, type VariableContext } from './recipe-variables.ts';

export interface PlannedStep {
  readonly script: string;
  readonly timeoutMs: number;
  readonly env: Readonly<Record<string, string>>;
}

export interface ComponentPlan {
  readonly name: string;
  readonly version: string;
  readonly recipe: ComponentRecipe;
  readonly explicit: Readonly<JsonObject>;
  readonly configuration: Readonly<JsonObject>;
  readonly install?: PlannedStep;
  readonly startup?: PlannedStep;
  readonly run?: PlannedStep;
  readonly shutdown?: PlannedStep;
  /** Direct HARD dependencies in this plan. */
  readonly hardDependencies: readonly string[];
  readonly isRoot: boolean;
  readonly fingerprint: string;
}

export const DEFAULT_TIMEOUTS_MS = { install: 120_000, startup: 120_000, run: 0, shutdown: 15_000 } as const;

export function pathsOf(
  layout: DeviceLayout,
  recipe: ComponentRecipe,
  configuration: Readonly<JsonObject>,
): ComponentPaths {
  return {
    artifactsPath: layout.artifacts(recipe.name, recipe.version),
    decompressedPath: layout.decompressed(recipe.name, recipe.version),
    workPath: layout.work(recipe.name),
    configuration,
  };
}

export interface PlanInput {
  readonly recipe: ComponentRecipe;
  readonly previousExplicit: Readonly<JsonObject> | undefined;
  readonly update: ConfigurationUpdate | undefined;
  readonly isRoot: boolean;
}

/** Plans every component; `order` lists dependencies first so their configuration is known. */
export function planComponents(
  inputs: ReadonlyMap<string, PlanInput>,
  order: readonly string[],
  layout: DeviceLayout,
  thingName: string,
): Map<string, ComponentPlan> {
  const plans = new Map<string, ComponentPlan>();
  for (const name of order) {
    const input = inputs.get(name)!;
    const recipe = input.recipe;
    const explicit = applyConfigurationUpdate(name, input.previousExplicit ?? {}, input.update);
    const configuration = effectiveConfiguration(recipe.defaults, explicit);
    const dependencies: Record<string, ComponentPaths> = {};
    for (const dep of Object.keys(recipe.dependencies)) {
      const p = plans.get(dep);
      if (p) dependencies[dep] = pathsOf(layout, p.recipe, p.configuration);
    }
    const ctx: VariableContext = {
      component: name,
      thingName,
      rootPath: layout.root,
      self: pathsOf(layout, recipe, configuration),
      dependencies,
    };
    const resolveEnv = (env: Readonly<Record<string, string>> | undefined) =>
      Object.fromEntries(Object.entries(env ?? {}).map(([k, v]) => [k, resolveRecipeVariables(v, ctx)]));
    const baseEnv = resolveEnv(recipe.lifecycle.Setenv);
    const step = (s: LifecycleStep | undefined, defaultTimeoutMs: number): PlannedStep | undefined =>
      s && {
        script: resolveRecipeVariables(s.Script, ctx),
        timeoutMs: 'Timeout' in s && s.Timeout ? s.Timeout * 1000 : defaultTimeoutMs,
        env: { ...baseEnv, ...resolveEnv('Setenv' in s ? s.Setenv : undefined) },
      };
    const steps = {
      install: step(recipe.lifecycle.Install, DEFAULT_TIMEOUTS_MS.install),
      startup: step(recipe.lifecycle.Startup, DEFAULT_TIMEOUTS_MS.startup),
      run: step(recipe.lifecycle.Run, DEFAULT_TIMEOUTS_MS.run),
      shutdown: step(recipe.lifecycle.Shutdown, DEFAULT_TIMEOUTS_MS.shutdown),
    };
    const hardDependencies = Object.entries(recipe.dependencies)
      .filter(([dep, d]) => d.type === 'HARD' && plans.has(dep))
      .map(([dep]) => dep);
    const fingerprint = createHash('sha256')
      .update(JSON.stringify({ v: recipe.version, steps, configuration }))
      .digest('hex');
    plans.set(name, {
      name,
      version: recipe.version,
      recipe,
      explicit,
      configuration,
      ...steps,
      hardDependencies,
      isRoot: input.isRoot,
      fingerprint,
    });
  }
  return plans;
}
