/**
 * Validates a recipe against the Greengrass Development Kit's recipe JSON Schema the way GDK does:
 * every key lower-cased first, and the schema's Python-only `(?i)` pattern flag turned into the
 * JavaScript `i` flag. The schema is third-party data vendored beside this file, with its licence and
 * provenance: schema/ (greengrass-recipe.schema.json, LICENSE, README.md).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { MAX_RECIPE_BYTES } from './recipe-schema.ts';

type RegExpEngine = ((pattern: string, flags: string) => RegExp) & { code: string };

const pythonFlagRegExp: RegExpEngine = Object.assign(
  (pattern: string, flags: string) =>
    pattern.startsWith('(?i)') ? new RegExp(pattern.slice(4), `${flags}i`) : new RegExp(pattern, flags),
  { code: 'pythonFlagRegExp' },
);

function lowerKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(lowerKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.toLowerCase(), lowerKeys(v)]));
  }
  return value;
}

export interface GdkVerdict {
  readonly valid: boolean;
  readonly errors: readonly string[];
}

/** The vendored GDK recipe schema file. */
export const GDK_RECIPE_SCHEMA_PATH = fileURLToPath(new URL('./schema/greengrass-recipe.schema.json', import.meta.url));

/** The vendored GDK recipe schema, read from its file on each call. */
export function gdkRecipeSchema(): object {
  return JSON.parse(readFileSync(GDK_RECIPE_SCHEMA_PATH, 'utf8')) as object;
}

/** Returns a validator over a GDK schema object: by default the vendored one. */
export function gdkRecipeValidator(schema: object = gdkRecipeSchema()): (recipe: unknown) => GdkVerdict {
  const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
  const ajv = new Ajv({ allErrors: true, strict: false, code: { regExp: pythonFlagRegExp } });
  addFormats(ajv);
  const validate = ajv.compile(schema);
  return (recipe) => {
    const errors: string[] = [];
    const size = new TextEncoder().encode(JSON.stringify(recipe, null, 2)).length;
    if (size > MAX_RECIPE_BYTES) errors.push(`recipe is ${size} bytes, over GDK's ${MAX_RECIPE_BYTES}`);
    if (!validate(lowerKeys(recipe))) {
      for (const e of validate.errors ?? []) errors.push(`${e.instancePath || '/'} ${e.message ?? ''}`);
    }
    return { valid: errors.length === 0, errors };
  };
}
