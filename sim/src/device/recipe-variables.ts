/**
 * Greengrass recipe variables, as the nucleus resolves them in lifecycle scripts and Setenv values:
 *   {artifacts:path} {artifacts:decompressedPath} {work:path} {kernel:rootPath} {iot:thingName}
 *   {configuration:/json/pointer}
 *   {<dependency>:artifacts:path} {<dependency>:artifacts:decompressedPath} {<dependency>:work:path}
 *   {<dependency>:configuration:/json/pointer}   (direct dependencies only)
 * Pure: the caller gives every path and configuration.
 *
 * As the nucleus (component recipe reference, "Recipe variables"; its KernelConfigResolver): variables
 * are resolved in the lifecycle (scripts and Setenv) at deployment time; `{<dependency>:configuration:
 * /pointer}` reads a DIRECT dependency's resolved configuration (recipe defaults under the deployment's
 * merge), which is how the inference recipe hands the agent the model component's modelName,
 * modelVersion and modelSha256 (EDGEQC_MODEL_EXPECT_*); a string becomes itself, any other value its
 * JSON. No nucleus option is involved: `interpolateComponentConfiguration` concerns variables inside
 * configuration values, and never resolves this one there. One difference, on purpose: where the
 * nucleus leaves the variable of a missing key or a non-dependency in place (and logs an error), this
 * device refuses the deployment (RECIPE_VARIABLE), so a recipe mistake shows at once; with the real
 * nucleus the agent then refuses the unresolved `{...}` text as its configuration, which fails the
 * deployment all the same.
 */
import { LocalDeviceError } from '../errors.ts';
import { readPointer } from './configuration.ts';

export interface ComponentPaths {
  readonly artifactsPath: string;
  readonly decompressedPath: string;
  readonly workPath: string;
  readonly configuration: Readonly<Record<string, unknown>>;
}

export interface VariableContext {
  readonly component: string;
  readonly thingName: string;
  readonly rootPath: string;
  readonly self: ComponentPaths;
  /** The component's direct dependencies, by name. */
  readonly dependencies: Readonly<Record<string, ComponentPaths>>;
}

const VARIABLE =
  /\{([A-Za-z0-9._-]+:)?(artifacts:path|artifacts:decompressedPath|work:path|configuration:[^}]*|iot:thingName|kernel:rootPath)\}/g;

function configValue(config: Readonly<Record<string, unknown>>, pointer: string, where: string): string {
  const value = readPointer(config, pointer);
  if (value === undefined) {
    throw new LocalDeviceError('RECIPE_VARIABLE', `${where}: configuration ${pointer} is not set`);
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function lookup(paths: ComponentPaths, key: string, where: string): string {
  if (key === 'artifacts:path') return paths.artifactsPath;
  if (key === 'artifacts:decompressedPath') return paths.decompressedPath;
  if (key === 'work:path') return paths.workPath;
  return configValue(paths.configuration, key.slice('configuration:'.length), where);
}

/** Replaces every recipe variable in `text`; an unknown component or unset configuration is an error. */
export function resolveRecipeVariables(text: string, ctx: VariableContext): string {
  return text.replace(VARIABLE, (whole, prefix: string | undefined, key: string) => {
    const where = `${ctx.component} variable ${whole}`;
    if (prefix) {
      const name = prefix.slice(0, -1);
      if (key === 'iot:thingName' || key === 'kernel:rootPath') return whole;
      const dep = name === ctx.component ? ctx.self : ctx.dependencies[name];
      if (!dep) {
        throw new LocalDeviceError(
          'RECIPE_VARIABLE',
          `${where}: ${name} is not a direct dependency of ${ctx.component} (have: ${Object.keys(ctx.dependencies).join(', ') || 'none'})`,
        );
      }
      return lookup(dep, key, where);
    }
    if (key === 'iot:thingName') return ctx.thingName;
    if (key === 'kernel:rootPath') return ctx.rootPath;
    return lookup(ctx.self, key, where);
  });
}
