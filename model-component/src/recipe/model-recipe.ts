/**
 * Renders the model component's recipe from recipes/model-component.recipe.json.
 *
 * Its DefaultConfiguration says which model the component delivers: modelName, modelVersion (the
 * component version, which is the manifest's version) and modelSha256 (of model.onnx). The inference
 * component hands them to the agent, which refuses a bundle whose signed manifest says otherwise (an
 * old signed bundle re-wrapped under a new component version): its recipe's Setenv reads them with
 * `{com.edgeqc.Model.<name>:configuration:/modelVersion}`.
 *
 * What Greengrass does with that variable (component recipe reference, "Recipe variables", and the
 * nucleus' KernelConfigResolver): the nucleus resolves `{<component>:configuration:<JSON pointer>}` in
 * the lifecycle section (scripts and Setenv) at deployment time, for the component itself or a DIRECT
 * dependency only, from that dependency's resolved configuration (recipe defaults under the deployment's
 * merge). A string or number becomes its text, an object its JSON; a missing key is left in place
 * unresolved (the agent then refuses the literal `{...}` as an invalid expectation, which fails the
 * deployment). It needs no nucleus option: `interpolateComponentConfiguration` (nucleus 2.6.0 and later)
 * is about recipe variables INSIDE configuration values (such as `{iot:thingName}` in accessControl), and
 * even with it the dependency-configuration variable is not resolved there. Component names with "-"
 * (com.edgeqc.Model.tag-scratch) match the nucleus' variable pattern since its 2021 fix (pull request
 * 1086 of aws-greengrass-nucleus); older nuclei leave such variables unresolved.
 * A lifecycle whose resolved text changes restarts the component, so a new model version restarts the
 * agent with the new expectation (its artifacts path changes too).
 */
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
