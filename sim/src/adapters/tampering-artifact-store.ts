/**
 * For the demo's failure case only: an ArtifactStore that plays an attacker with write access to the
 * bucket. For the component versions it is told to spoil, it stores model.onnx with one byte flipped
 * and rewrites that artifact's Digest in the recipe uploaded after it, so the Greengrass digest check
 * on the device passes (a digest proves nothing about who made the file). Only the signed manifest
 * still describes the original model: the agent must refuse it, and the device roll back.
 */
import { createHash } from 'node:crypto';
import type { ArtifactStore, StoredObject } from '@edgeqc/orchestrator/ports';
import type { LocalArtifactStore } from './local-artifact-store.ts';

const MODEL = /\/components\/([^/]+)\/([^/]+)\/model\.onnx$/;
const RECIPE = /\/recipes\/(.+)-(\d+\.\d+\.\d+[^/]*)\.json$/;

interface RecipeArtifacts {
  Manifests?: Array<{ Artifacts?: Array<{ Uri?: string; Digest?: string }> }>;
}

export class TamperingArtifactStore implements ArtifactStore {
  readonly #inner: LocalArtifactStore;
  /** `<component>/<version>` keys whose model.onnx gets spoiled on upload. */
  readonly spoil = new Set<string>();
  /** URI -> base64 SHA-256 of the spoiled bytes. */
  readonly #spoiled = new Map<string, string>();

  constructor(inner: LocalArtifactStore) {
    this.#inner = inner;
  }

  get spoiled(): readonly string[] {
    return [...this.#spoiled.keys()];
  }

  async put(uri: string, bytes: Uint8Array): Promise<StoredObject & { reused: boolean }> {
    const model = MODEL.exec(uri);
    if (model && this.spoil.has(`${model[1]}/${model[2]}`)) {
      const spoiled = Buffer.from(bytes);
      const at = Math.floor(spoiled.length / 2);
      spoiled[at] = (spoiled[at] ?? 0) ^ 0xff;
      this.#spoiled.set(uri, createHash('sha256').update(spoiled).digest('base64'));
      return this.#inner.put(uri, spoiled);
    }
    const recipe = RECIPE.exec(uri);
    if (recipe && this.spoil.has(`${recipe[1]}/${recipe[2]}`)) {
      const parsed = JSON.parse(new TextDecoder().decode(bytes)) as RecipeArtifacts;
      for (const m of parsed.Manifests ?? []) {
        for (const a of m.Artifacts ?? []) {
          const digest = a.Uri ? this.#spoiled.get(a.Uri) : undefined;
          if (digest) a.Digest = digest;
        }
      }
      return this.#inner.put(uri, new TextEncoder().encode(`${JSON.stringify(parsed, null, 2)}\n`));
    }
    return this.#inner.put(uri, bytes);
  }

  get(uri: string): Promise<Uint8Array> {
    return this.#inner.get(uri);
  }

  head(uri: string): Promise<StoredObject | undefined> {
    return this.#inner.head(uri);
  }
}
