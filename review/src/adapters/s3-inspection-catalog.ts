/**
 * The inspection catalog in S3 (REVIEW-SPEC.md's layout under a prefix, default `inspections/`): lists
 * the keys, reads each `.json` message once (objects are immutable: a retried upload is the same key and
 * the same bytes, so a parsed message is cached by key), and serves images as presigned GET URLs.
 *
 * A listing is taken once per first page and kept as a snapshot that the following pages of the same
 * scan read (the cursor names the snapshot and the offset), so that a scan of N entries costs one
 * listing, not one per page. An entry whose image object is not listed is reported with
 * `imagePresent: false` (and `image()` answers `missing`); a `.json` that is not an
 * `edgeqc.inspection.v1` message is left out and reported to `onCorruptMessage`.
 */
import { randomUUID } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { type Inspection, InspectionSchema } from '@edgeqc/edge-component/contracts';
import {
  type CatalogEntry,
  type CatalogFilter,
  type CatalogPage,
  type CatalogPageRequest,
  matchesFilter,
  newestFirst,
} from '../domain/index.ts';
import { InvalidRequestError, ReviewCode, ReviewError } from '../errors.ts';
import type { ImageRef, InspectionCatalog } from '../ports.ts';
import { dayInRange, type InspectionKey, normalizePrefix, parseInspectionKey } from './inspection-keys.ts';

export interface S3InspectionCatalogOptions {
  readonly client: S3Client;
  readonly bucket: string;
  /** Key prefix of the store. Default `inspections`. */
  readonly prefix?: string;
  /** How long a presigned image URL stays valid. Default 300 s. */
  readonly urlExpiresSeconds?: number;
  /** Messages read at once while listing. Default 16. */
  readonly readConcurrency?: number;
  /** Parsed messages kept (by key). Default 100 000. */
  readonly maxCachedMessages?: number;
  /** How long a listing snapshot serves the pages after the first. Default 60 s. */
  readonly snapshotTtlMs?: number;
  /** A `.json` object that is not an inspection message (left out of the catalog). */
  readonly onCorruptMessage?: (key: string, err: unknown) => void;
}

interface Located {
  message?: InspectionKey;
  image?: InspectionKey;
}

interface Snapshot {
  readonly entries: readonly CatalogEntry[];
  readonly expiresAt: number;
}

const MAX_SNAPSHOTS = 8;

export class S3InspectionCatalog implements InspectionCatalog {
  readonly #o: S3InspectionCatalogOptions;
  readonly #prefix: string;
  readonly #messages = new Map<string, Inspection>();
  readonly #located = new Map<string, Located>();
  readonly #snapshots = new Map<string, Snapshot>();
  /** Keys found not to be inspection messages (reported once; objects do not change). */
  readonly #corrupt = new Set<string>();

  constructor(options: S3InspectionCatalogOptions) {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(options.bucket)) {
      throw new ReviewError(
        ReviewCode.BadOptions,
        `S3 catalog bucket ${JSON.stringify(options.bucket)}: expected an S3 bucket name (3-63 lower-case letters, digits, "." and "-")`,
      );
    }
    this.#o = options;
    this.#prefix = normalizePrefix(options.prefix ?? 'inspections');
  }

  async list(filter: CatalogFilter, page: CatalogPageRequest): Promise<CatalogPage> {
    const now = Date.now();
    for (const [id, s] of this.#snapshots) if (s.expiresAt <= now) this.#snapshots.delete(id);
    let id: string;
    let offset: number;
    let snapshot: Snapshot | undefined;
    if (page.cursor === undefined) {
      id = randomUUID();
      offset = 0;
    } else {
      const m = /^([0-9a-f-]{36}):(\d+)$/.exec(page.cursor);
      if (!m)
        throw new InvalidRequestError(
          'cursor',
          `cursor ${JSON.stringify(page.cursor)}: expected one this catalog returned`,
        );
      id = m[1]!;
      offset = Number(m[2]);
      snapshot = this.#snapshots.get(id);
    }
    if (snapshot === undefined) {
      // First page, or a snapshot this instance no longer has (expired, another Lambda instance): list again.
      snapshot = { entries: await this.#scan(filter), expiresAt: now + (this.#o.snapshotTtlMs ?? 60_000) };
      this.#snapshots.set(id, snapshot);
      while (this.#snapshots.size > MAX_SNAPSHOTS) this.#snapshots.delete(this.#snapshots.keys().next().value!);
    }
    const entries = snapshot.entries.slice(offset, offset + page.limit);
    const next = offset + entries.length;
    return next < snapshot.entries.length ? { entries, nextCursor: `${id}:${next}` } : { entries };
  }

  async get(messageId: string): Promise<CatalogEntry | undefined> {
    let located = this.#located.get(messageId);
    if (located?.message === undefined) {
      await this.#scan({});
      located = this.#located.get(messageId);
    }
    if (located?.message === undefined) return undefined;
    const inspection = await this.#message(located.message.key);
    return inspection === undefined ? undefined : { inspection, imagePresent: located.image !== undefined };
  }

  async image(messageId: string): Promise<ImageRef> {
    if (this.#located.get(messageId) === undefined) await this.#scan({});
    const image = this.#located.get(messageId)?.image;
    if (image === undefined) return { kind: 'missing' };
    const url = await getSignedUrl(this.#o.client, new GetObjectCommand({ Bucket: this.#o.bucket, Key: image.key }), {
      expiresIn: this.#o.urlExpiresSeconds ?? 300,
    });
    return { kind: 'url', url };
  }

  /** Every complete entry matching the filter, newest first. */
  async #scan(filter: CatalogFilter): Promise<CatalogEntry[]> {
    const found = new Map<string, Located>();
    const listPrefix = `${this.#prefix}${filter.thing ?? ''}`;
    let token: string | undefined;
    do {
      const out = await this.#o.client.send(
        new ListObjectsV2Command({ Bucket: this.#o.bucket, Prefix: listPrefix, ContinuationToken: token }),
      );
      for (const obj of out.Contents ?? []) {
        const k = obj.Key === undefined ? undefined : parseInspectionKey(this.#prefix, obj.Key);
        if (k === undefined) continue;
        if (filter.modelVerdict !== undefined && k.verdict !== filter.modelVerdict) continue;
        if (!dayInRange(k.day, filter.from, filter.to)) continue;
        const at = found.get(k.messageId) ?? {};
        if (k.kind === 'message') at.message = k;
        else at.image = k;
        found.set(k.messageId, at);
      }
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token !== undefined);

    for (const [id, at] of found) this.#located.set(id, at);
    const complete = [...found.values()].filter((l): l is Located & { message: InspectionKey } => !!l.message);
    const entries: CatalogEntry[] = [];
    const concurrency = this.#o.readConcurrency ?? 16;
    for (let i = 0; i < complete.length; i += concurrency) {
      const batch = complete.slice(i, i + concurrency);
      const read = await Promise.all(batch.map((l) => this.#message(l.message.key)));
      read.forEach((inspection, j) => {
        if (inspection !== undefined) entries.push({ inspection, imagePresent: batch[j]!.image !== undefined });
      });
    }
    return entries.filter((e) => matchesFilter(e, filter)).sort(newestFirst);
  }

  /** The parsed message at `key` (cached), or undefined when it is not an inspection message. */
  async #message(key: string): Promise<Inspection | undefined> {
    const cached = this.#messages.get(key);
    if (cached !== undefined || this.#corrupt.has(key)) return cached;
    const out = await this.#o.client.send(new GetObjectCommand({ Bucket: this.#o.bucket, Key: key }));
    const text = (await out.Body?.transformToString('utf8')) ?? '';
    let inspection: Inspection;
    try {
      inspection = InspectionSchema.parse(JSON.parse(text));
    } catch (err) {
      this.#corrupt.add(key);
      this.#o.onCorruptMessage?.(key, err);
      return undefined;
    }
    this.#messages.set(key, inspection);
    const max = this.#o.maxCachedMessages ?? 100_000;
    while (this.#messages.size > max) this.#messages.delete(this.#messages.keys().next().value!);
    return inspection;
  }
}
