import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GDK_RECIPE_SCHEMA_PATH, gdkRecipeSchema, gdkRecipeValidator } from '../../src/recipe/gdk-schema.ts';

describe('the vendored GDK recipe schema', () => {
  it('is the file of the GDK CLI commit its README names, unchanged, with the Apache-2.0 licence beside it', () => {
    const sha256 = createHash('sha256').update(readFileSync(GDK_RECIPE_SCHEMA_PATH)).digest('hex');
    expect(sha256).toBe('59442b74dddf0fc66b2b8da46d96429e30d5c94323f74e8bf10314cca4f403ff');
    const dir = dirname(GDK_RECIPE_SCHEMA_PATH);
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toContain(sha256);
    expect(readFileSync(join(dir, 'LICENSE'), 'utf8')).toContain('Apache License');
  });

  it('lies inside the repository, so a clone with nothing beside it can validate recipes', () => {
    const src = fileURLToPath(new URL('../../src/', import.meta.url));
    expect(GDK_RECIPE_SCHEMA_PATH.startsWith(src)).toBe(true);
    expect(gdkRecipeSchema()).toMatchObject({ title: 'The AWS IoT Greengrass v2 recipe schema' });
  });

  it('is what the validator uses when given no schema', () => {
    const verdict = gdkRecipeValidator()({ RecipeFormatVersion: '2020-01-25' });
    expect(verdict.valid).toBe(false);
    expect(verdict.errors.join('\n')).toContain('componentname');
  });
});
