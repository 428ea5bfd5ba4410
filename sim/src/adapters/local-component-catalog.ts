/**
 * The one-machine Greengrass component catalog: CreateComponentVersion from recipe bytes (checking, as
 * Greengrass does, that every artifact exists in the store, and filling in its Digest when the recipe
 * has none), DescribeComponent, versions by name. Recipes live as JSON files under
 * `<root>/<component>/<version>.json`; a version is immutable.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorNames, RolloutError } from '@edgeqc/orchestrator/errors';
import type { ComponentCatalog, ComponentVersion } from '@edgeqc/orchestrator/ports';
import { LocalAdapterError } from '../errors.ts';
import type { LocalArtifactStore } from './local-artifact-store.ts';

export type LocalComponentVersion = ComponentVersion & { readonly reused: boolean };

interface RecipeLike {
  ComponentName?: unknown;
  ComponentVersion?: unknown;
  Manifests?: Array<{ Artifacts?: Array<{ Uri?: unknown; Digest?: unknown; Algorithm?: unknown }> }>;
}

export const LOCAL_ACCOUNT = '000000000000';

export function componentVersionArn(region: string, name: string, version: string): string {
  return `arn:aws:greengrass:${region}:${LOCAL_ACCOUNT}:components:${name}:versions:${version}`;
}

export class LocalComponentCatalog implements ComponentCatalog {
  readonly root: string;
  readonly region: string;
  readonly #store: LocalArtifactStore;

  constructor(root: string, store: LocalArtifactStore, region = 'us-east-1') {
    this.root = root;
    this.#store = store;
    this.region = region;
  }

  #file(name: string, version: string): string {
    return join(this.root, name, `${version}.json`);
  }

  /** CreateComponentVersion (inlineRecipe). The same recipe again returns the existing version. */
  async createComponentVersion(inlineRecipe: Uint8Array): Promise<LocalComponentVersion> {
    let recipe: RecipeLike;
    try {
      recipe = JSON.parse(new TextDecoder().decode(inlineRecipe)) as RecipeLike;
    } catch (cause) {
      throw new LocalAdapterError('RECIPE_INVALID', 'inlineRecipe is not JSON', { cause });
    }
    const name = recipe.ComponentName;
    const version = recipe.ComponentVersion;
    if (typeof name !== 'string' || typeof version !== 'string') {
      throw new LocalAdapterError('RECIPE_INVALID', 'inlineRecipe has no ComponentName/ComponentVersion strings');
    }
    const errors: Record<string, string> = {};
    for (const m of recipe.Manifests ?? []) {
      for (const a of m.Artifacts ?? []) {
        const uri = String(a.Uri);
        const bytes = await this.#store.get(uri).catch(() => undefined);
        if (!bytes) {
          errors[uri] = 'artifact not found in the artifact store';
          continue;
        }
        if (a.Digest === undefined) {
          a.Digest = createHash('sha256').update(bytes).digest('base64');
          a.Algorithm = 'SHA-256';
        }
      }
    }
    const stored = new TextEncoder().encode(`${JSON.stringify(recipe, null, 2)}\n`);
    const file = this.#file(name, version);
    const existing = await readFile(file).catch(() => undefined);
    if (existing && Buffer.compare(existing, Buffer.from(stored)) !== 0) {
      throw new RolloutError(
        ErrorNames.VersionConflict,
        'COMPONENT_VERSION_EXISTS',
        `component ${name} ${version} already exists with a different recipe: component versions are immutable`,
      );
    }
    const failed = Object.keys(errors).length > 0;
    if (!existing && !failed) {
      await mkdir(join(this.root, name), { recursive: true });
      await writeFile(file, stored);
    }
    return {
      arn: componentVersionArn(this.region, name, version),
      componentName: name,
      componentVersion: version,
      state: failed ? 'FAILED' : 'DEPLOYABLE',
      message: failed ? `artifacts unavailable: ${Object.keys(errors).join(', ')}` : 'deployable',
      errors,
      reused: existing !== undefined,
    };
  }

  /** DescribeComponent: undefined when the version does not exist. */
  async describeComponent(arn: string): Promise<ComponentVersion | undefined> {
    const m = /:components:([^:]+):versions:(.+)$/.exec(arn);
    if (!m) throw new LocalAdapterError('COMPONENT_ARN', `'${arn}' is not a component version ARN`);
    const file = this.#file(m[1]!, m[2]!);
    const ok = await readFile(file).then(
      () => true,
      () => false,
    );
    if (!ok) return undefined;
    return {
      arn,
      componentName: m[1]!,
      componentVersion: m[2]!,
      state: 'DEPLOYABLE',
    };
  }

  async recipe(name: string, version: string): Promise<unknown> {
    const text = await readFile(this.#file(name, version), 'utf8').catch((cause: unknown) => {
      throw new LocalAdapterError('COMPONENT_NOT_FOUND', `component ${name} ${version} is not in the catalog`, {
        cause,
      });
    });
    return JSON.parse(text) as unknown;
  }

  async versions(name: string): Promise<string[]> {
    const files = await readdir(join(this.root, name)).catch(() => [] as string[]);
    return files.filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length));
  }
}
