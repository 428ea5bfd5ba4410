/**
 * A store folder in the uploader's layout (REVIEW-SPEC.md), built from the demo model's samples
 * (model-component/models/tag-scratch/samples: synthetic tag images and their index.json with the true
 * scratch boxes). Each message is a valid edgeqc.inspection.v1 whose detections are the sample's boxes,
 * as if the model had found exactly those.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Inspection } from '@edgeqc/edge-component/contracts';

export const SAMPLES_DIR = fileURLToPath(
  new URL('../../../model-component/models/tag-scratch/samples/', import.meta.url),
);

interface SampleIndexEntry {
  readonly file: string;
  readonly widthPx: number;
  readonly heightPx: number;
  readonly boxes: ReadonlyArray<readonly [number, number, number, number]>;
}

export interface FixtureSpec {
  readonly sample: string;
  readonly thingName: string;
  readonly verdict: Inspection['verdict'];
  readonly capturedAt: string;
  readonly modelVersion?: string;
  /** Default true: false leaves the image out (the message alone). */
  readonly withImage?: boolean;
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

export async function sampleIndex(): Promise<Map<string, SampleIndexEntry>> {
  const entries = JSON.parse(await readFile(join(SAMPLES_DIR, 'index.json'), 'utf8')) as SampleIndexEntry[];
  return new Map(entries.map((e) => [e.file, e]));
}

export function fixtureMessage(spec: FixtureSpec, sample: SampleIndexEntry): Inspection {
  const version = spec.modelVersion ?? '2.0.0';
  const detections = sample.boxes.map(([x1, y1, x2, y2]) => ({
    label: 'scratch',
    classId: 0,
    confidence: spec.verdict === 'unclear' ? 0.41 : 0.87,
    box: { x: x1, y: y1, width: x2 - x1, height: y2 - y1 },
    boxNormalized: {
      x: x1 / sample.widthPx,
      y: y1 / sample.heightPx,
      width: (x2 - x1) / sample.widthPx,
      height: (y2 - y1) / sample.heightPx,
    },
  }));
  return {
    schema: 'edgeqc.inspection.v1',
    messageId: sha(`${spec.sample}|${spec.thingName}|${spec.capturedAt}|${version}`),
    thingName: spec.thingName,
    image: { file: spec.sample, sha256: sha(spec.sample), width: sample.widthPx, height: sample.heightPx },
    capturedAt: spec.capturedAt,
    inspectedAt: spec.capturedAt,
    model: { name: 'tag-scratch', version, sha256: sha(`model ${version}`), precision: 'int8' },
    verdict: spec.verdict,
    thresholds: { confidence: 0.25, iou: 0.45, review: 0.5, defect: 0.6 },
    detections: spec.verdict === 'ok' ? [] : detections,
    timingsMs: { decode: 5, preprocess: 3, inference: 30, postprocess: 1, total: 39 },
  };
}

/** The image's and message's path under the store root, as the uploader writes them. */
export function fixtureKey(m: Inspection, ext: string): string {
  const d = m.capturedAt;
  return join(
    'inspections',
    m.thingName,
    d.slice(0, 4),
    d.slice(5, 7),
    d.slice(8, 10),
    m.verdict,
    `${m.messageId}.${ext}`,
  );
}

/** Writes the fixtures (image first, message last) and returns their messages in spec order. */
export async function writeFixtureStore(root: string, specs: readonly FixtureSpec[]): Promise<Inspection[]> {
  const index = await sampleIndex();
  const out: Inspection[] = [];
  for (const spec of specs) {
    const sample = index.get(spec.sample);
    if (sample === undefined) throw new Error(`fixture: no sample ${spec.sample} in ${SAMPLES_DIR}index.json`);
    const m = fixtureMessage(spec, sample);
    const ext = spec.sample.slice(spec.sample.lastIndexOf('.') + 1);
    if (spec.withImage !== false) {
      const image = join(root, fixtureKey(m, ext));
      await mkdir(dirname(image), { recursive: true });
      await copyFile(join(SAMPLES_DIR, spec.sample), image);
    }
    const json = join(root, fixtureKey(m, 'json'));
    await mkdir(dirname(json), { recursive: true });
    await writeFile(json, `${JSON.stringify(m, null, 2)}\n`);
    out.push(m);
  }
  return out;
}
