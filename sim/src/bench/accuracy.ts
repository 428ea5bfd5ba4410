/**
 * `edgeqc bench --accuracy`: the demo model's accuracy on its held-out test split (made by
 * scripts/demo_model/generator.py with seed 2, as scripts/make-demo-model.sh makes it) with exactly the
 * agent's preprocessing: the agent's preparer, detector and decoder find the detections
 * (edge-component/src/inference/split-detections.ts), the training pipeline's own scoring
 * (scripts/demo_model/score_detections.py: evaluate.py's mAP50, mAP50-95, precision and recall at 0.5)
 * counts them and sets them beside the model's metrics.json. Per precision, with the agent's letterbox
 * and, as a control through the same decoder, the trained-with one (cv2's INTER_LINEAR).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoBundle } from '@edgeqc/edge-component/demo-bundle';
import { deployedIou, detectSplit, type EvalLetterbox } from '@edgeqc/edge-component/inference/split-detections';
import type { Precision } from '@edgeqc/model-component/manifest';
import { PROJECT_ROOT } from '../project-root.ts';

export interface AccuracyOptions {
  /** The test split: images/ and meta/ (generator.py's layout). */
  readonly testDir: string;
  readonly precisions: readonly Precision[];
  readonly letterboxes: readonly EvalLetterbox[];
  /** Python with the demo model's requirements (numpy, opencv, onnxruntime). */
  readonly python: string;
  readonly say: (line: string) => void;
}

export interface AccuracyRow {
  readonly precision: Precision;
  readonly letterbox: EvalLetterbox;
  readonly seconds: number;
  /** score_detections.py's report: the metrics, the model's metrics.json figures and the differences. */
  readonly scored: Record<string, unknown>;
}

export const MODEL_DIR = join(PROJECT_ROOT, 'model-component', 'models', 'tag-scratch');

export async function runAccuracy(o: AccuracyOptions): Promise<AccuracyRow[]> {
  const work = await mkdtemp(join(tmpdir(), 'edgeqc-accuracy-'));
  const rows: AccuracyRow[] = [];
  try {
    for (const precision of o.precisions) {
      const demo = await demoBundle({ precision });
      const modelPath = join(demo.dir, demo.manifest.model.file);
      const bundle = {
        dir: demo.dir,
        manifest: demo.manifest,
        modelPath,
        modelBytes: new Uint8Array(await readFile(modelPath)),
        modelSha256: demo.manifest.model.sha256,
        keyId: 'demo',
      };
      const iou = await deployedIou(MODEL_DIR, bundle.manifest.thresholds.iou);
      for (const letterbox of o.letterboxes) {
        const t0 = performance.now();
        const perImage = await detectSplit({
          bundle,
          imagesDir: join(o.testDir, 'images'),
          letterbox,
          iou,
          onProgress: (done, total) => {
            if (done % 100 === 0 || done === total) o.say(`[${precision} ${letterbox}] ${done} / ${total} images`);
          },
        });
        const seconds = (performance.now() - t0) / 1000;
        const file = join(work, `${precision}-${letterbox}.json`);
        await writeFile(file, JSON.stringify({ precision, letterbox, nmsIou: iou, perImage }));
        const scored = await scoreDetections(o.python, o.testDir, file, precision);
        rows.push({ precision, letterbox, seconds, scored });
        o.say(`[${precision} ${letterbox}] ${JSON.stringify(scored)}`);
      }
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return rows;
}

/** Scores detections with the training pipeline's evaluate.py (score_detections.py); its JSON report. */
async function scoreDetections(
  python: string,
  testDir: string,
  detections: string,
  precision: Precision,
): Promise<Record<string, unknown>> {
  const args = ['-m', 'demo_model.score_detections', '--test', testDir, '--detections', detections];
  args.push('--baseline', join(MODEL_DIR, 'metrics.json'), '--precision', precision);
  const child = spawn(python, args, { cwd: join(PROJECT_ROOT, 'scripts'), stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) throw new Error(`${python} ${args.join(' ')} exited with code ${code}`);
  return JSON.parse(out) as Record<string, unknown>;
}
