import { describe, expect, it } from 'vitest';
import { RecipeError } from '../../src/errors.ts';
import { gdkRecipeValidator } from '../../src/recipe/gdk-schema.ts';
import { recipeBytes } from '../../src/recipe/recipe-schema.ts';
import { renderTemplate } from '../../src/recipe/template.ts';

describe('renderTemplate', () => {
  it('replaces whole-string placeholders by values and inner ones by text, leaving Greengrass variables alone', () => {
    const out = renderTemplate(
      { a: '{{list}}', b: 'v{{version}} at {artifacts:path}', '{{key}}': { c: 'edgeqc/{iot:thingName}/*' } },
      { list: [1, { x: 2 }], version: '1.2.3', key: 'com.edgeqc.Model.x' },
    );
    expect(out).toEqual({
      a: [1, { x: 2 }],
      b: 'v1.2.3 at {artifacts:path}',
      'com.edgeqc.Model.x': { c: 'edgeqc/{iot:thingName}/*' },
    });
  });

  it('names a placeholder that was not given', () => {
    expect(() => renderTemplate({ a: { b: '{{missing}}' } }, {})).toThrow(/\{\{missing\}\} at \/a\/b/);
  });

  it('refuses parameters the template does not use (a typo would otherwise pass silently)', () => {
    expect(() => renderTemplate({ a: '{{x}}' }, { x: 1, y: 2 })).toThrow(RecipeError);
  });
});

const minimal = {
  RecipeFormatVersion: '2020-01-25',
  ComponentName: 'com.edgeqc.Model.x',
  ComponentVersion: '1.0.0',
  ComponentDescription: 'x',
  ComponentPublisher: 'edgeqc',
  Manifests: [
    {
      Platform: { os: 'linux' },
      Lifecycle: {},
      Artifacts: [
        {
          Uri: 's3://b-1/components/com.edgeqc.Model.x/1.0.0/model.onnx',
          Digest: Buffer.alloc(32, 7).toString('base64'),
          Algorithm: 'SHA-256',
          Unarchive: 'NONE',
          Permission: { Read: 'OWNER', Execute: 'NONE' },
        },
      ],
    },
  ],
};

describe('recipe schemas', () => {
  const gdk = gdkRecipeValidator();

  it('accepts a minimal recipe in both schemas, and the GDK one honours the (?i) flag', () => {
    expect(recipeBytes(minimal).recipe.ComponentName).toBe('com.edgeqc.Model.x');
    expect(gdk(minimal).errors).toEqual([]);
    const lower = structuredClone(minimal);
    (lower.Manifests[0]?.Artifacts[0] as { Unarchive: string }).Unarchive = 'zip';
    expect(gdk(lower).valid).toBe(true);
  });

  it('refuses an unknown unarchive mode in both schemas', () => {
    const bad = structuredClone(minimal);
    (bad.Manifests[0]?.Artifacts[0] as { Unarchive: string }).Unarchive = 'TAR';
    expect(() => recipeBytes(bad)).toThrow(/recipe is invalid/);
    expect(gdk(bad).valid).toBe(false);
  });

  it('refuses a recipe over 16,000 bytes', () => {
    const big = { ...minimal, ComponentConfiguration: { DefaultConfiguration: { pad: 'x'.repeat(16_000) } } };
    expect(() => recipeBytes(big)).toThrow(/16000/);
    expect(gdk(big).valid).toBe(false);
  });

  it('refuses an artifact outside the versioned components/ prefix', () => {
    const bad = structuredClone(minimal);
    (bad.Manifests[0]?.Artifacts[0] as { Uri: string }).Uri = 's3://b-1/model.onnx';
    expect(() => recipeBytes(bad)).toThrow(/components/);
  });
});
