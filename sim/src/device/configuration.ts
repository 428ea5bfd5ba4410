/**
 * Component configuration as the nucleus keeps it: the recipe's DefaultConfiguration underneath, the
 * deployments' explicit values on top. A deployment's configurationUpdate first resets the given JSON
 * pointers (back to the default; "" resets everything), then deep-merges its `merge` object (arrays are
 * replaced, not merged). Explicit values survive version updates; defaults follow the new recipe.
 * Pure functions over plain JSON values.
 */
import { LocalDeviceError } from '../errors.ts';

export type JsonObject = Record<string, unknown>;

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

export function deepMerge(base: Readonly<JsonObject>, over: Readonly<JsonObject>): JsonObject {
  const out: JsonObject = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isObject(b) && isObject(v) ? deepMerge(b, v) : structuredClone(v);
  }
  return out;
}

function tokens(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) {
    throw new LocalDeviceError('CONFIG_POINTER', `configuration pointer '${pointer}': expected '' or /key/...`);
  }
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
}

export function readPointer(config: Readonly<JsonObject>, pointer: string): unknown {
  let node: unknown = config;
  for (const t of tokens(pointer)) {
    if (Array.isArray(node) && /^\d+$/.test(t)) node = node[Number(t)];
    else if (isObject(node)) node = node[t];
    else return undefined;
  }
  return node;
}

function removePointer(config: JsonObject, pointer: string): JsonObject {
  const path = tokens(pointer);
  if (path.length === 0) return {};
  const out = structuredClone(config);
  let node: unknown = out;
  for (const t of path.slice(0, -1)) {
    if (!isObject(node)) return out;
    node = node[t];
  }
  if (isObject(node)) delete node[path[path.length - 1]!];
  return out;
}

export interface ConfigurationUpdate {
  /** JSON object as a string, as in CreateDeployment. */
  readonly merge?: string;
  readonly reset?: readonly string[];
}

/** Applies one deployment's update to a component's explicit values. */
export function applyConfigurationUpdate(
  component: string,
  explicit: Readonly<JsonObject>,
  update: ConfigurationUpdate | undefined,
): JsonObject {
  let out: JsonObject = structuredClone(explicit) as JsonObject;
  for (const p of update?.reset ?? []) out = removePointer(out, p);
  if (update?.merge !== undefined) {
    let merge: unknown;
    try {
      merge = JSON.parse(update.merge);
    } catch (cause) {
      throw new LocalDeviceError(
        'CONFIG_MERGE',
        `${component} configurationUpdate.merge is not JSON: ${update.merge.slice(0, 80)}`,
        { cause },
      );
    }
    if (!isObject(merge)) {
      throw new LocalDeviceError('CONFIG_MERGE', `${component} configurationUpdate.merge must be a JSON object`);
    }
    out = deepMerge(out, merge);
  }
  return out;
}

/** The configuration a component sees: defaults, then explicit values. */
export function effectiveConfiguration(defaults: Readonly<JsonObject>, explicit: Readonly<JsonObject>): JsonObject {
  return deepMerge(defaults, explicit);
}
