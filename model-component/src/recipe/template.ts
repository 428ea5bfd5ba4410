/**
 * Renders a recipe template (JSON data from recipes/) by walking the parsed value, never by editing
 * text. A string that is exactly `{{param}}` is replaced by the parameter's value (any JSON value); a
 * `{{param}}` inside a longer string is replaced by the parameter's string form. Greengrass' own
 * single-brace variables (`{artifacts:path}`, `{iot:thingName}`) pass through untouched. A template that
 * names an unknown parameter, or parameters that no template uses, are errors.
 */
import { RecipeError } from '../errors.ts';

const WHOLE = /^\{\{([A-Za-z][A-Za-z0-9]*)\}\}$/;
const INNER = /\{\{([A-Za-z][A-Za-z0-9]*)\}\}/g;

export type TemplateParams = Readonly<Record<string, unknown>>;

export function renderTemplate(template: unknown, params: TemplateParams, label = 'recipe template'): unknown {
  const used = new Set<string>();
  const lookup = (name: string, path: string): unknown => {
    if (!Object.hasOwn(params, name) || params[name] === undefined) {
      throw new RecipeError(
        'TEMPLATE_PARAM_MISSING',
        `${label} uses {{${name}}} at ${path || '/'}, which was not given`,
      );
    }
    used.add(name);
    return params[name];
  };
  const walk = (value: unknown, path: string): unknown => {
    if (typeof value === 'string') {
      const whole = WHOLE.exec(value);
      if (whole) return structuredClone(lookup(whole[1] as string, path));
      return value.replace(INNER, (_m, name: string) => {
        const v = lookup(name, path);
        if (typeof v !== 'string' && typeof v !== 'number') {
          throw new RecipeError(
            'TEMPLATE_PARAM_TYPE',
            `${label}: {{${name}}} inside a string at ${path} must be a string or number`,
          );
        }
        return String(v);
      });
    }
    if (Array.isArray(value)) return value.map((v, i) => walk(v, `${path}/${i}`));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[walk(k, `${path}/${k}`) as string] = walk(v, `${path}/${k}`);
      return out;
    }
    return value;
  };
  const rendered = walk(template, '');
  const unused = Object.keys(params).filter((k) => !used.has(k) && params[k] !== undefined);
  if (unused.length > 0) {
    throw new RecipeError('TEMPLATE_PARAM_UNUSED', `${label} does not use parameter(s) ${unused.join(', ')}`);
  }
  return rendered;
}
