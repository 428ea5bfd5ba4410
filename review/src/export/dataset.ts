/**
 * Reviewed images as a training dataset (issue 26, "labels back into training"): each image a person
 * decided becomes one sample, with its labels in two formats side by side:
 *
 * - `labels/<messageId>.txt`, YOLO: one line per box, `class cx cy w h`, normalized to the image's width
 *   and height (6 decimals), class ids from `classes.txt` (line number = id); an image decided "ok" has an
 *   empty file (a negative).
 * - `manifest.jsonl`, SageMaker Ground Truth's bounding-box job output format: one JSON line per image,
 *   `source-ref`, the label attribute with `image_size` and `annotations` (`class_id`, `left`, `top`,
 *   `width`, `height` in pixels) and `<attribute>-metadata` (`objects` with a confidence each, `class-map`,
 *   `type` groundtruth/object-detection, `human-annotated` yes, `creation-date`, `job-name`). Rekognition
 *   Custom Labels and SageMaker read this format.
 *
 * Pure: the caller reads the records and image bytes and writes the files (dataset-export.ts).
 */
import type { DecisionRecord, ReviewBox } from '../domain/index.ts';
import { currentDecision } from '../domain/index.ts';

/** The Ground Truth label attribute name of the manifest lines. */
export const LABEL_ATTRIBUTE = 'edgeqc-review';
/** The demo model's one class; the default class list. */
export const DEFAULT_CLASSES: readonly string[] = Object.freeze(['scratch']);

export interface DatasetImage {
  readonly messageId: string;
  /** File name under images/ (`<messageId>.<ext>`). */
  readonly file: string;
}

export interface DatasetSample {
  readonly messageId: string;
  readonly imageFile: string;
  readonly labelFile: string;
  /** The YOLO label file's text (empty for an image without boxes). */
  readonly yolo: string;
  /** The manifest line (one JSON object, no newline). */
  readonly manifestLine: string;
}

export interface DatasetPlan {
  /** Class names; line n of classes.txt is class id n. */
  readonly classes: readonly string[];
  readonly samples: readonly DatasetSample[];
  /** Records left out: pending (undone back to nothing) or without an image (`images` has none). */
  readonly skipped: readonly { readonly messageId: string; readonly reason: 'pending' | 'no image' }[];
}

export interface DatasetOptions {
  /** Class names the model knows, in id order; labels not in the list are appended, sorted. Default ['scratch']. */
  readonly classes?: readonly string[];
  /** The manifest's `source-ref` of an image file: `s3://bucket/prefix/images/<file>` or a relative path. Default `images/<file>`. */
  readonly sourceRef?: (file: string) => string;
  /** Ground Truth's `creation-date` (`YYYY-MM-DDTHH:MM:SS.ffffff`, UTC) of the export. */
  readonly createdAt: Date;
  /** Ground Truth's `job-name`. Default `labeling-job/edgeqc-review`. */
  readonly jobName?: string;
}

const round6 = (v: number) => Math.round(v * 1e6) / 1e6;
const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** A box clipped to the image, or undefined when nothing of it is inside. */
function clip(b: ReviewBox, w: number, h: number): ReviewBox | undefined {
  const x1 = clamp(b.x, 0, w);
  const y1 = clamp(b.y, 0, h);
  const x2 = clamp(b.x + b.width, 0, w);
  const y2 = clamp(b.y + b.height, 0, h);
  return x2 > x1 && y2 > y1 ? { x: x1, y: y1, width: x2 - x1, height: y2 - y1, label: b.label } : undefined;
}

/** The YOLO line of a box: `class cx cy w h`, normalized. */
export function yoloLine(classId: number, b: ReviewBox, w: number, h: number): string {
  const f = (v: number) => round6(v).toFixed(6);
  return `${classId} ${f((b.x + b.width / 2) / w)} ${f((b.y + b.height / 2) / h)} ${f(b.width / w)} ${f(b.height / h)}`;
}

/** Ground Truth's creation-date format. */
export function groundTruthDate(d: Date): string {
  return `${d.toISOString().slice(0, 19)}.${String(d.getUTCMilliseconds() * 1000).padStart(6, '0')}`;
}

/** The plan of a dataset from decision records and the image file of each message (undefined: no image). */
export function planDataset(
  records: readonly DecisionRecord[],
  images: ReadonlyMap<string, DatasetImage>,
  options: DatasetOptions,
): DatasetPlan {
  const decided = records
    .map((r) => ({ r, d: currentDecision(r) }))
    .sort((a, b) => (a.r.messageId < b.r.messageId ? -1 : a.r.messageId > b.r.messageId ? 1 : 0));
  const known = [...(options.classes ?? DEFAULT_CLASSES)];
  const extra = new Set<string>();
  for (const { d } of decided) for (const b of d?.boxes ?? []) if (!known.includes(b.label)) extra.add(b.label);
  const classes = [...known, ...[...extra].sort()];
  const classMap = Object.fromEntries(classes.map((c, i) => [String(i), c]));
  const sourceRef = options.sourceRef ?? ((file: string) => `images/${file}`);
  const createdAt = groundTruthDate(options.createdAt);
  const jobName = options.jobName ?? 'labeling-job/edgeqc-review';

  const samples: DatasetSample[] = [];
  const skipped: { messageId: string; reason: 'pending' | 'no image' }[] = [];
  for (const { r, d } of decided) {
    if (d === undefined) {
      skipped.push({ messageId: r.messageId, reason: 'pending' });
      continue;
    }
    const image = images.get(r.messageId);
    if (image === undefined) {
      skipped.push({ messageId: r.messageId, reason: 'no image' });
      continue;
    }
    const w = r.subject.imageWidth;
    const h = r.subject.imageHeight;
    const boxes =
      d.verdict === 'ok' ? [] : d.boxes.map((b) => clip(b, w, h)).filter((b): b is ReviewBox => b !== undefined);
    const ids = boxes.map((b) => classes.indexOf(b.label));
    const annotations = boxes.map((b, i) => ({
      class_id: ids[i]!,
      left: Math.round(b.x),
      top: Math.round(b.y),
      width: Math.round(b.width),
      height: Math.round(b.height),
    }));
    const line = {
      'source-ref': sourceRef(image.file),
      [LABEL_ATTRIBUTE]: { image_size: [{ width: w, height: h, depth: 3 }], annotations },
      [`${LABEL_ATTRIBUTE}-metadata`]: {
        objects: annotations.map(() => ({ confidence: 1 })),
        'class-map': classMap,
        type: 'groundtruth/object-detection',
        'human-annotated': 'yes',
        'creation-date': createdAt,
        'job-name': jobName,
      },
    };
    samples.push({
      messageId: r.messageId,
      imageFile: `images/${image.file}`,
      labelFile: `labels/${r.messageId}.txt`,
      yolo: boxes.map((b, i) => `${yoloLine(ids[i]!, b, w, h)}\n`).join(''),
      manifestLine: JSON.stringify(line),
    });
  }
  return { classes, samples, skipped };
}
