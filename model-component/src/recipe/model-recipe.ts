/** Renders the model component's recipe from recipes/model-component.recipe.json. */
import { type Manifest, modelComponentName } from '../manifest.ts';
import { type ArtifactFile, artifactEntry } from './artifact.ts';
import { type Recipe, recipeBytes } from './recipe-schema.ts';
import { renderTemplate } from './template.ts';

export interface ModelRecipeInput {
  readonly template: unknown;
  readonly manifest: Manifest;
  /** Every file of the bundle (model, manifest, signature, self-test images). */
  readonly files: readonly ArtifactFile[];
  readonly bucket: string;
}

export function renderModelRecipe(input: ModelRecipeInput): { recipe: Recipe; bytes: Uint8Array } {
  const component = modelComponentName(input.manifest.name);
  const version = input.manifest.version;
  const rendered = renderTemplate(
    input.template,
    {
      componentName: component,
      componentVersion: version,
      modelName: input.manifest.name,
      modelSha256: input.manifest.model.sha256,
      precision: input.manifest.precision,
      artifacts: input.files.map((f) => artifactEntry(input.bucket, component, version, f)),
    },
    'recipes/model-component.recipe.json',
  );
  return recipeBytes(rendered);
}
