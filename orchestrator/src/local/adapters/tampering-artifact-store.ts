/**
 * For the demo's failure case only: an ArtifactStore that, for the component versions it is told to
 * spoil, flips a byte of model.onnx in the store right after it was uploaded, as a corrupted or
 * maliciously replaced S3 object would be. Everything the pipeline computed (recipe digests, the signed
 * manifest) still describes the original bytes, so a device must refuse the file.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { ArtifactStore, StoredObject } from '../../ports.ts';
import type { LocalArtifactStore } from './local-artifact-store.ts';

export class TamperingArtifactStore implements ArtifactStore {
  readonly #inner: LocalArtifactStore;
  /** `<component>/<version>` keys whose model.onnx gets spoiled after upload. */
  readonly spoil = new Set<string>();
  readonly spoiled: string[] = [];

  constructor(inner: LocalArtifactStore) {
    this.#inner = inner;
  }

  async put(
    uri: string,
    bytes: Uint8Array,
    options?: { contentType?: string },
  ): Promise<StoredObject & { reused: boolean }> {
    const stored = await this.#inner.put(uri, bytes);
    const m = /\/components\/([^/]+)\/([^/]+)\/model\.onnx$/.exec(uri);
    if (m && this.spoil.has(`${m[1]}/${m[2]}`)) {
      const path = this.#inner.pathOf(uri);
      const spoiled = Buffer.from(await readFile(path));
      const at = Math.floor(spoiled.length / 2);
      spoiled[at] = (spoiled[at] ?? 0) ^ 0xff;
      await writeFile(path, spoiled);
      this.spoiled.push(uri);
    }
    return stored;
  }

  get(uri: string): Promise<Uint8Array> {
    return this.#inner.get(uri);
  }

  head(uri: string): Promise<StoredObject | undefined> {
    return this.#inner.head(uri);
  }
}
