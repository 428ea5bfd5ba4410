/** Reads recipe templates (data) from the repository's recipes/ folder. */
import { readFile } from 'node:fs/promises';
import { RecipeError } from '../errors.ts';

export const RECIPES_DIR = new URL('../../../recipes/', import.meta.url);

export type RecipeTemplateName = 'model-component' | 'inference-component' | 'node-runtime-component';

export async function loadRecipeTemplate(name: RecipeTemplateName, dir: URL | string = RECIPES_DIR): Promise<unknown> {
  const url = new URL(
    `${name}.recipe.json`,
    dir instanceof URL ? dir : new URL(`file://${dir.endsWith('/') ? dir : `${dir}/`}`),
  );
  let text: string;
  try {
    text = await readFile(url, 'utf8');
  } catch (cause) {
    throw new RecipeError('TEMPLATE_MISSING', `recipe template ${url.pathname} cannot be read`, { cause });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new RecipeError('TEMPLATE_INVALID', `recipe template ${url.pathname} is not valid JSON`, { cause });
  }
}
