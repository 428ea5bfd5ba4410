/**
 * The inspection catalog of a local folder in the store layout of the uploader (REVIEW-SPEC.md):
 * `<root>/inspections/<thing>/<yyyy>/<mm>/<dd>/<verdict>/<messageId>.json` beside `<messageId>.<jpg|png>`.
 * Each list walks the folder again (new uploads appear without a restart) and parses only the messages it
 * has not seen at that size and mtime. A message that does not parse or does not match its path is left
 * out with a warning, never a crash; a message whose image is not there is listed with `imagePresent:
 * false`. Reads never follow user input into paths: a message id is looked up in the walked index.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type Inspection, InspectionSchema } from '@edgeqc/edge-component/contracts';
import type { Logger } from 'pino';
import {
  type CatalogEntry,
  type CatalogFilter,
  type CatalogPage,
  type CatalogPageRequest,
  matchesFilter,
  newestFirst,
} from '../domain/index.ts';
import type { ImageRef, InspectionCatalog } from '../ports.ts';

/** The image extensions the uploader writes, with their content types. */
export const IMAGE_TYPES: Readonly<Record<string, string>> = Object.freeze({
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
});

/** The top folder of the layout under the store root (the bucket's default prefix). */
export const INSPECTIONS_PREFIX = 'inspections';

interface Indexed {
  readonly inspection: Inspection;
  readonly dir: string;
  readonly imageFile: string | undefined;
  readonly jsonFile: string;
  readonly stamp: string;
}

export interface LocalFolderCatalogOptions {
  /** The store root (holds `inspections/`). */
  readonly root: string;
  readonly log?: Logger;
}

async function entries(dir: string): Promise<import('node:fs').Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

async function subdirs(dir: string): Promise<string[]> {
  return (await entries(dir)).filter((e) => e.isDirectory()).map((e) => e.name);
}

export class LocalFolderCatalog implements InspectionCatalog {
  readonly #root: string;
  readonly #log: Logger | undefined;
  /** By json path: what was parsed at which size and mtime. */
  readonly #parsed = new Map<string, Indexed>();
  #byId = new Map<string, Indexed>();

  constructor(options: LocalFolderCatalogOptions) {
    this.#root = join(options.root, INSPECTIONS_PREFIX);
    this.#log = options.log;
  }

  /** Walks thing/yyyy/mm/dd/verdict folders and refreshes the index. */
  async #refresh(): Promise<Map<string, Indexed>> {
    const byId = new Map<string, Indexed>();
    const seen = new Set<string>();
    for (const thing of await subdirs(this.#root)) {
      for (const yyyy of await subdirs(join(this.#root, thing))) {
        for (const mm of await subdirs(join(this.#root, thing, yyyy))) {
          for (const dd of await subdirs(join(this.#root, thing, yyyy, mm))) {
            for (const verdict of await subdirs(join(this.#root, thing, yyyy, mm, dd))) {
              const dir = join(this.#root, thing, yyyy, mm, dd, verdict);
              const files = (await entries(dir)).filter((e) => e.isFile()).map((e) => e.name);
              for (const name of files) {
                if (!name.endsWith('.json')) continue;
                const jsonFile = join(dir, name);
                seen.add(jsonFile);
                const item = await this.#load(jsonFile, dir, files, { thing, verdict });
                if (item !== undefined) byId.set(item.inspection.messageId, item);
              }
            }
          }
        }
      }
    }
    for (const key of this.#parsed.keys()) if (!seen.has(key)) this.#parsed.delete(key);
    this.#byId = byId;
    return byId;
  }

  async #load(
    jsonFile: string,
    dir: string,
    files: readonly string[],
    where: { thing: string; verdict: string },
  ): Promise<Indexed | undefined> {
    const base = jsonFile.slice(dir.length + 1, -'.json'.length);
    const imageFile = files.find(
      (f) => f.startsWith(`${base}.`) && Object.hasOwn(IMAGE_TYPES, f.slice(base.length + 1)),
    );
    let s: import('node:fs').Stats;
    try {
      s = await stat(jsonFile);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const stamp = `${s.size}:${s.mtimeMs}`;
    const cached = this.#parsed.get(jsonFile);
    if (cached !== undefined && cached.stamp === stamp) {
      return { ...cached, imageFile: imageFile === undefined ? undefined : join(dir, imageFile) };
    }
    const problem = (why: string, cause?: unknown) => {
      this.#log?.warn({ file: jsonFile, err: cause }, `inspection message left out of the catalog: ${why}`);
      return undefined;
    };
    let json: unknown;
    try {
      json = JSON.parse(await readFile(jsonFile, 'utf8'));
    } catch (err) {
      return problem('not JSON', err);
    }
    const parsed = InspectionSchema.safeParse(json);
    if (!parsed.success) return problem(`not an edgeqc.inspection.v1 message (${parsed.error.issues[0]?.message})`);
    const m = parsed.data;
    if (m.messageId !== base || m.thingName !== where.thing || m.verdict !== where.verdict) {
      return problem(`its messageId, thingName or verdict does not match its path`);
    }
    const item: Indexed = {
      inspection: m,
      dir,
      jsonFile,
      stamp,
      imageFile: imageFile === undefined ? undefined : join(dir, imageFile),
    };
    this.#parsed.set(jsonFile, item);
    return item;
  }

  async list(filter: CatalogFilter, page: CatalogPageRequest): Promise<CatalogPage> {
    const all = [...(await this.#refresh()).values()]
      .map((i): CatalogEntry => ({ inspection: i.inspection, imagePresent: i.imageFile !== undefined }))
      .filter((e) => matchesFilter(e, filter))
      .sort(newestFirst);
    const offset = page.cursor === undefined ? 0 : Number.parseInt(page.cursor, 10) || 0;
    const next = offset + page.limit;
    return { entries: all.slice(offset, next), ...(next < all.length ? { nextCursor: String(next) } : {}) };
  }

  async #find(messageId: string): Promise<Indexed | undefined> {
    return this.#byId.get(messageId) ?? (await this.#refresh()).get(messageId);
  }

  async get(messageId: string): Promise<CatalogEntry | undefined> {
    const i = await this.#find(messageId);
    if (i === undefined) return undefined;
    const imagePresent = i.imageFile !== undefined && (await exists(i.imageFile));
    return { inspection: i.inspection, imagePresent };
  }

  async image(messageId: string): Promise<ImageRef> {
    const i = await this.#find(messageId);
    if (i?.imageFile === undefined) return { kind: 'missing' };
    const ext = i.imageFile.slice(i.imageFile.lastIndexOf('.') + 1);
    try {
      return {
        kind: 'bytes',
        bytes: await readFile(i.imageFile),
        contentType: IMAGE_TYPES[ext] ?? 'application/octet-stream',
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
      throw err;
    }
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
