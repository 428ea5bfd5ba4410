/**
 * Publishes GDK-style packaging output (what package-model and package-agent write:
 * `<out>/recipes/<component>-<version>.json` and `<out>/artifacts/<component>/<version>/<file>`) to the
 * local artifact store and component catalog: each artifact goes to its recipe URI, then
 * CreateComponentVersion. Returns the component versions, DEPLOYABLE or FAILED.
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { LocalArtifactStore } from '../adapters/local-artifact-store.ts';
import type { LocalComponentCatalog, LocalComponentVersion } from '../adapters/local-component-catalog.ts';
import { LocalAdapterError } from '../errors.ts';

interface RecipeFile {
  ComponentName: string;
  ComponentVersion: string;
  Manifests: Array<{ Artifacts?: Array<{ Uri: string }> }>;
}

export async function publishRecipe(
  store: LocalArtifactStore,
  catalog: LocalComponentCatalog,
  outDir: string,
  recipeBytes: Uint8Array,
): Promise<LocalComponentVersion> {
  const recipe = JSON.parse(new TextDecoder().decode(recipeBytes)) as RecipeFile;
  const uris = new Set(recipe.Manifests.flatMap((m) => (m.Artifacts ?? []).map((a) => a.Uri)));
  for (const uri of uris) {
    const file = join(outDir, 'artifacts', recipe.ComponentName, recipe.ComponentVersion, basename(uri));
    await store.putFile(uri, file).catch((cause: unknown) => {
      throw new LocalAdapterError(
        'PUBLISH_ARTIFACT',
        `cannot publish ${recipe.ComponentName} ${recipe.ComponentVersion} artifact ${file} to ${uri}`,
        { cause },
      );
    });
  }
  return catalog.createComponentVersion(recipeBytes);
}

export async function publishPackagingOutput(
  store: LocalArtifactStore,
  catalog: LocalComponentCatalog,
  outDir: string,
): Promise<LocalComponentVersion[]> {
  const files = (await readdir(join(outDir, 'recipes'))).filter((f) => f.endsWith('.json')).sort();
  const out: LocalComponentVersion[] = [];
  for (const f of files)
    out.push(await publishRecipe(store, catalog, outDir, await readFile(join(outDir, 'recipes', f))));
  return out;
}
