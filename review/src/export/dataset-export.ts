/**
 * Writes a dataset (dataset.ts) from a decision store and an inspection catalog to a sink: a local
 * folder or an S3 prefix. Images first, then labels and classes.txt, the manifest last (its presence
 * means the dataset is complete, as the `.json` does in the inspection store). An image the catalog
 * reports missing leaves its sample out (counted in the summary); it is not an error.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ReviewCode, ReviewError } from '../errors.ts';
import type { DecisionStore, InspectionCatalog } from '../ports.ts';
import { type DatasetImage, type DatasetPlan, DEFAULT_CLASSES, planDataset } from './dataset.ts';

/** Where a dataset's files go; paths are relative (`images/x.jpg`, `manifest.jsonl`). */
export interface DatasetSink {
  write(path: string, bytes: Uint8Array, contentType: string): Promise<void>;
  /** The manifest's `source-ref` of a file (`s3://bucket/prefix/images/x.jpg`, or the relative path locally). */
  sourceRef(path: string): string;
  /** Where the dataset is, for people. */
  readonly location: string;
}

/** A dataset folder on this machine; each file written to a temporary name and renamed. */
export class FolderDatasetSink implements DatasetSink {
  readonly location: string;
  constructor(dir: string) {
    this.location = resolve(dir);
  }
  async write(path: string, bytes: Uint8Array): Promise<void> {
    const file = join(this.location, path);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(`${file}.tmp`, bytes);
    await rename(`${file}.tmp`, file);
  }
  sourceRef(path: string): string {
    return path;
  }
}

/** A dataset under an S3 prefix (the review stack lets its function write under `datasets/` only). */
export class S3DatasetSink implements DatasetSink {
  readonly location: string;
  readonly #o: { client: S3Client; bucket: string; prefix: string };
  constructor(o: { readonly client: S3Client; readonly bucket: string; readonly prefix: string }) {
    const prefix = o.prefix.replace(/^\/+/, '').replace(/\/*$/, '/');
    if (prefix === '/')
      throw new ReviewError(
        ReviewCode.BadOptions,
        'dataset prefix "": expected a key prefix such as datasets/2026-12-07/',
      );
    this.#o = { ...o, prefix };
    this.location = `s3://${o.bucket}/${prefix}`;
  }
  async write(path: string, bytes: Uint8Array, contentType: string): Promise<void> {
    await this.#o.client.send(
      new PutObjectCommand({
        Bucket: this.#o.bucket,
        Key: `${this.#o.prefix}${path}`,
        Body: bytes,
        ContentType: contentType,
      }),
    );
  }
  sourceRef(path: string): string {
    return `${this.location}${path}`;
  }
}

export interface ExportOptions {
  readonly catalog: InspectionCatalog;
  readonly decisions: DecisionStore;
  readonly sink: DatasetSink;
  /** Class names in id order. Default ['scratch']. */
  readonly classes?: readonly string[];
  /** Default: now. */
  readonly now?: Date;
  /** Images read and written at once. Default 8. */
  readonly concurrency?: number;
}

export interface ExportSummary {
  readonly location: string;
  readonly images: number;
  readonly boxes: number;
  readonly classes: readonly string[];
  readonly pending: number;
  readonly missingImages: number;
}

const EXT_BY_TYPE: Readonly<Record<string, string>> = { 'image/jpeg': 'jpg', 'image/png': 'png' };
const TYPE_BY_EXT: Readonly<Record<string, string>> = { jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png' };

/** The image of a message as bytes and extension, or undefined when the store has none. */
async function readImage(
  catalog: InspectionCatalog,
  messageId: string,
): Promise<{ bytes: Uint8Array; ext: string } | undefined> {
  const ref = await catalog.image(messageId);
  if (ref.kind === 'missing') return undefined;
  if (ref.kind === 'bytes') return { bytes: ref.bytes, ext: EXT_BY_TYPE[ref.contentType] ?? 'jpg' };
  const res = await fetch(ref.url);
  if (res.status === 404 || res.status === 403) return undefined;
  if (!res.ok)
    throw new ReviewError(ReviewCode.StoreCorrupt, `image of ${messageId}: HTTP ${res.status} from the store`);
  const ext = /\.(jpe?g|png)$/i.exec(new URL(ref.url).pathname)?.[1]?.toLowerCase() ?? 'jpg';
  return { bytes: new Uint8Array(await res.arrayBuffer()), ext: ext === 'jpeg' ? 'jpg' : ext };
}

export async function exportDataset(o: ExportOptions): Promise<ExportSummary> {
  const records = await o.decisions.list({});
  const decided = records.filter((r) => r.stack.length > 0);
  const images = new Map<string, DatasetImage>();
  const concurrency = o.concurrency ?? 8;
  for (let i = 0; i < decided.length; i += concurrency) {
    await Promise.all(
      decided.slice(i, i + concurrency).map(async (r) => {
        const image = await readImage(o.catalog, r.messageId);
        if (image === undefined) return;
        const file = `${r.messageId}.${image.ext}`;
        await o.sink.write(`images/${file}`, image.bytes, TYPE_BY_EXT[image.ext] ?? 'application/octet-stream');
        images.set(r.messageId, { messageId: r.messageId, file });
      }),
    );
  }
  const plan: DatasetPlan = planDataset(records, images, {
    classes: o.classes ?? DEFAULT_CLASSES,
    createdAt: o.now ?? new Date(),
    sourceRef: (file) => o.sink.sourceRef(`images/${file}`),
  });
  const text = (s: string) => new TextEncoder().encode(s);
  for (const s of plan.samples) await o.sink.write(s.labelFile, text(s.yolo), 'text/plain');
  await o.sink.write('classes.txt', text(plan.classes.map((c) => `${c}\n`).join('')), 'text/plain');
  await o.sink.write(
    'manifest.jsonl',
    text(plan.samples.map((s) => `${s.manifestLine}\n`).join('')),
    'application/x-ndjson',
  );
  return {
    location: o.sink.location,
    images: plan.samples.length,
    boxes: plan.samples.reduce((n, s) => n + (s.yolo === '' ? 0 : s.yolo.trimEnd().split('\n').length), 0),
    classes: plan.classes,
    pending: plan.skipped.filter((s) => s.reason === 'pending').length,
    missingImages: plan.skipped.filter((s) => s.reason === 'no image').length,
  };
}
