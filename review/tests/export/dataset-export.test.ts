/**
 * Labels back into training: the dataset the export writes (YOLO labels, classes.txt, a Ground Truth
 * manifest) and, read back by the training script's own loader (scripts/demo_model/extra_data.py run
 * with python3, no torch needed), the same images and boxes the reviewers left.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Inspection } from '@edgeqc/edge-component/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalFolderCatalog } from '../../src/adapters/local-folder-catalog.ts';
import { LocalJsonDecisionStore } from '../../src/adapters/local-json-decision-store.ts';
import { runExport } from '../../src/cli/export-command.ts';
import { type DecisionRecord, decide, type ReviewBox, type Reviewer, undo } from '../../src/domain/index.ts';
import { groundTruthDate, LABEL_ATTRIBUTE, planDataset, yoloLine } from '../../src/export/dataset.ts';
import { exportDataset, FolderDatasetSink } from '../../src/export/dataset-export.ts';
import { writeFixtureStore } from '../helpers/fixture-store.ts';

const SCRIPTS = fileURLToPath(new URL('../../../scripts/', import.meta.url));
const alice: Reviewer = { id: 'u-alice', name: 'alice' };

let store: string;
let out: string;
let messages: Inspection[];
const decisions = new Map<string, { verdict: 'ok' | 'defect'; boxes: ReviewBox[] }>();

function subjectOf(m: Inspection) {
  return {
    thingName: m.thingName,
    capturedAt: m.capturedAt,
    modelName: m.model.name,
    modelVersion: m.model.version,
    modelVerdict: m.verdict,
    imageWidth: m.image.width,
    imageHeight: m.image.height,
  };
}

function decided(m: Inspection, verdict: 'ok' | 'defect', boxes: ReviewBox[], prev?: DecisionRecord): DecisionRecord {
  const r = decide(prev, {
    messageId: m.messageId,
    subject: subjectOf(m),
    verdict,
    boxes,
    reviewer: alice,
    at: '2026-12-07T10:00:00.000Z',
    actionId: `a-${m.messageId.slice(0, 8)}-${prev?.revision ?? 0}`,
    expectedRevision: prev?.revision ?? 0,
  });
  if (r.kind !== 'changed') throw new Error('fixture: expected a change');
  return r.record;
}

beforeAll(async () => {
  store = await mkdtemp(join(tmpdir(), 'edgeqc-export-store-'));
  out = await mkdtemp(join(tmpdir(), 'edgeqc-export-out-'));
  messages = await writeFixtureStore(store, [
    { sample: 'scratch-01.jpg', thingName: 'line-1', verdict: 'unclear', capturedAt: '2026-12-01T08:00:00.000Z' },
    { sample: 'scratch-02.jpg', thingName: 'line-1', verdict: 'defect', capturedAt: '2026-12-01T09:00:00.000Z' },
    { sample: 'clean-04.png', thingName: 'line-1', verdict: 'unclear', capturedAt: '2026-12-01T10:00:00.000Z' },
    { sample: 'scratch-03.jpg', thingName: 'line-1', verdict: 'unclear', capturedAt: '2026-12-01T11:00:00.000Z' },
    {
      sample: 'scratch-04.jpg',
      thingName: 'line-1',
      verdict: 'unclear',
      capturedAt: '2026-12-01T12:00:00.000Z',
      withImage: false,
    },
  ]);
  const db = new LocalJsonDecisionStore(store);
  const [a, b, clean, undone, missing] = messages as [Inspection, Inspection, Inspection, Inspection, Inspection];
  const box = (m: Inspection, i = 0): ReviewBox => ({ ...m.detections[i]!.box, label: 'scratch' });
  // a: corrected box plus a new one of another class, partly outside the image (clipped).
  const aBoxes = [
    { ...box(a), width: box(a).width + 4 },
    { x: a.image.width - 10, y: 5, width: 40, height: 20, label: 'dent' },
  ];
  const records = [
    decided(a, 'defect', aBoxes),
    decided(b, 'defect', [box(b)]),
    decided(clean, 'ok', []),
    decided(missing, 'defect', [box(missing)]),
  ];
  for (const r of records) await db.put(r, 0);
  // Decided, then undone: pending again, so not in the dataset.
  const first = decided(undone, 'defect', [box(undone)]);
  await db.put(first, 0);
  const back = undo(first, {
    reviewer: alice,
    at: '2026-12-07T10:01:00.000Z',
    actionId: first.stack[0]!.actionId,
    expectedRevision: 1,
  });
  if (back.kind !== 'changed') throw new Error('fixture: expected the undo to apply');
  await db.put(back.record, 1);
  decisions.set(a.messageId, { verdict: 'defect', boxes: aBoxes });
  decisions.set(b.messageId, { verdict: 'defect', boxes: [box(b)] });
  decisions.set(clean.messageId, { verdict: 'ok', boxes: [] });
}, 60_000);

afterAll(async () => {
  await rm(store, { recursive: true, force: true });
  await rm(out, { recursive: true, force: true });
});

describe('the dataset (pure)', () => {
  it('writes YOLO lines as class cx cy w h normalized to the image', () => {
    expect(yoloLine(1, { x: 10, y: 20, width: 30, height: 40, label: 'x' }, 100, 200)).toBe(
      '1 0.250000 0.200000 0.300000 0.200000',
    );
  });

  it('writes Ground Truth bounding-box lines: source-ref, image_size, annotations in pixels, metadata', () => {
    const m = messages[1]!;
    const record = decided(m, 'defect', [{ x: 10.4, y: 20.6, width: 30, height: 40, label: 'scratch' }]);
    const plan = planDataset(
      [record],
      new Map([[m.messageId, { messageId: m.messageId, file: `${m.messageId}.jpg` }]]),
      {
        createdAt: new Date('2026-12-07T10:00:00.123Z'),
        sourceRef: (f) => `s3://bucket/datasets/d1/images/${f}`,
      },
    );
    const line = JSON.parse(plan.samples[0]!.manifestLine);
    expect(line).toEqual({
      'source-ref': `s3://bucket/datasets/d1/images/${m.messageId}.jpg`,
      [LABEL_ATTRIBUTE]: {
        image_size: [{ width: m.image.width, height: m.image.height, depth: 3 }],
        annotations: [{ class_id: 0, left: 10, top: 21, width: 30, height: 40 }],
      },
      [`${LABEL_ATTRIBUTE}-metadata`]: {
        objects: [{ confidence: 1 }],
        'class-map': { '0': 'scratch' },
        type: 'groundtruth/object-detection',
        'human-annotated': 'yes',
        'creation-date': '2026-12-07T10:00:00.123000',
        'job-name': 'labeling-job/edgeqc-review',
      },
    });
    expect(groundTruthDate(new Date('2026-01-02T03:04:05.006Z'))).toBe('2026-01-02T03:04:05.006000');
  });
});

describe('edgeqc review export', () => {
  it('writes images, YOLO labels, classes.txt and the manifest of every decided image', async () => {
    const lines: string[] = [];
    const io = {
      stdout: { write: (s: string) => lines.push(s) },
      stderr: { write: (s: string) => lines.push(s) },
      env: {},
      signal: new AbortController().signal,
    } as unknown as Parameters<typeof runExport>[1];
    expect(await runExport(['--out', out, '--store', store], io, 'review-store')).toBe(0);
    expect(lines.join('')).toMatch(/images: 3 \(3 boxes; classes scratch, dent\)/);
    expect(lines.join('')).toMatch(/left out: 1 decided images whose image file is missing/);
    expect(await readFile(join(out, 'classes.txt'), 'utf8')).toBe('scratch\ndent\n');
    const clean = messages[2]!;
    expect(await readFile(join(out, 'labels', `${clean.messageId}.txt`), 'utf8')).toBe('');
    expect((await stat(join(out, 'images', `${clean.messageId}.png`))).size).toBeGreaterThan(0);
    const manifest = (await readFile(join(out, 'manifest.jsonl'), 'utf8')).trim().split('\n');
    expect(manifest).toHaveLength(3);
  });

  it("is read back by the training script's loader with the reviewers' boxes (YOLO labels and the manifest)", () => {
    const load = (path: string, classes: string[]) => {
      const r = spawnSync('python3', ['-m', 'demo_model.extra_data', path, '--classes', ...classes], {
        cwd: SCRIPTS,
        encoding: 'utf8',
      });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      return JSON.parse(r.stdout) as { file: string; widthPx: number; heightPx: number; boxes: number[][] }[];
    };
    for (const source of [out, join(out, 'manifest.jsonl')]) {
      const records = load(source, ['scratch']);
      expect(records).toHaveLength(3);
      for (const rec of records) {
        const id = rec.file
          .split('/')
          .at(-1)!
          .replace(/\.(jpg|png)$/, '');
        const m = messages.find((x) => x.messageId === id)!;
        const d = decisions.get(id)!;
        expect([rec.widthPx, rec.heightPx]).toEqual([m.image.width, m.image.height]);
        const expected = d.boxes
          .filter((b) => b.label === 'scratch')
          .map((b) => [b.x, b.y, b.x + b.width, b.y + b.height]);
        expect(rec.boxes).toHaveLength(expected.length);
        // YOLO keeps 6 decimals of the normalized box; the manifest whole pixels (left and width each rounded).
        for (const [i, b] of rec.boxes.entries()) {
          for (const [j, v] of b.entries()) expect(Math.abs(v - expected[i]![j]!)).toBeLessThanOrEqual(1);
        }
      }
      // The second class is there when asked for, clipped to the image.
      const withDent = load(source, ['scratch', 'dent']).find((r) => r.boxes.length === 2)!;
      expect(Math.max(...withDent.boxes[1]!)).toBeLessThanOrEqual(withDent.widthPx + 0.5);
    }
  }, 30_000);

  it('says what is wrong with bad arguments', async () => {
    const err: string[] = [];
    const io = {
      stdout: { write: () => true },
      stderr: { write: (s: string) => err.push(s) },
      env: {},
      signal: new AbortController().signal,
    } as unknown as Parameters<typeof runExport>[1];
    expect(await runExport([], io, 'review-store')).toBe(2);
    expect(err.join('')).toMatch(/--out is required/);
    expect(await runExport(['--out', out, '--classes', 'a b'], io, 'review-store')).toBe(2);
    expect(err.join('')).toMatch(/--classes "a b": expected comma-separated names/);
  });

  it('exports through the ports alone (any catalog and store, here the local ones)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edgeqc-export-ports-'));
    try {
      const summary = await exportDataset({
        catalog: new LocalFolderCatalog({ root: store }),
        decisions: new LocalJsonDecisionStore(store),
        sink: new FolderDatasetSink(dir),
        classes: ['scratch', 'dent'],
      });
      expect(summary).toMatchObject({
        images: 3,
        boxes: 3,
        classes: ['scratch', 'dent'],
        pending: 1,
        missingImages: 1,
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
