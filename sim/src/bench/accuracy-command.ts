/** `edgeqc bench --accuracy`: the demo model's accuracy with the agent's preprocessing (accuracy.ts). */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { CommandIo } from '@edgeqc/model-component/cli';
import type { Precision } from '@edgeqc/model-component/manifest';
import { PROJECT_ROOT } from '../project-root.ts';

const HELP = `usage: edgeqc bench --accuracy [--test DIR] [--precision int8,fp32] [--letterbox agent,cv2] [--json]

Runs the demo model over its held-out test split with the agent's own preparer, detector and decoder,
and scores the detections with the training pipeline's evaluate.py (mAP50, mAP50-95, precision and
recall at confidence 0.5), beside the model's metrics.json (target: within 0.005).
  --test DIR          the split: images/ and meta/ (default .work/demo-model/data/test; make it with
                      cd scripts && $PYTHON -m demo_model.generator --out ../.work/demo-model/data/test --seed 2 --count 500)
  --precision LIST    int8, fp32 or both (default int8,fp32)
  --letterbox LIST    agent (the agent's preparer: cv2's INTER_LINEAR below a 3x reduction, libvips
                      from 3x), cv2 (the trained-with letterbox on every image, a control through the
                      same decoder) or both (default agent,cv2)
  --json              the report as JSON
Environment: PYTHON, a Python with scripts/demo_model/requirements.txt (default .venv/bin/python).
`;

export async function runAccuracyCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  let values: ReturnType<typeof parse>;
  const parse = (args: string[]) =>
    parseArgs({
      args,
      options: {
        test: { type: 'string' },
        precision: { type: 'string' },
        letterbox: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  const precisions: Precision[] = [];
  const letterboxes: Array<'agent' | 'cv2'> = [];
  try {
    values = parse([...argv]);
    if (values.help) {
      io.stdout.write(HELP);
      return 0;
    }
    for (const p of (values.precision ?? 'int8,fp32').split(',').map((x) => x.trim())) {
      if (p !== 'int8' && p !== 'fp32') throw new Error(`--precision ${JSON.stringify(p)}: expected int8 or fp32`);
      precisions.push(p);
    }
    for (const l of (values.letterbox ?? 'agent,cv2').split(',').map((x) => x.trim())) {
      if (l !== 'agent' && l !== 'cv2') throw new Error(`--letterbox ${JSON.stringify(l)}: expected agent or cv2`);
      letterboxes.push(l);
    }
  } catch (err) {
    io.stderr.write(`edgeqc bench --accuracy: ${err instanceof Error ? err.message : String(err)}\n\n${HELP}`);
    return 2;
  }
  const { runAccuracy } = await import('./accuracy.ts');
  try {
    const rows = await runAccuracy({
      testDir: values.test ?? join(PROJECT_ROOT, '.work', 'demo-model', 'data', 'test'),
      precisions,
      letterboxes,
      python: pythonPath(process.env.PYTHON),
      say: (line) => io.stderr.write(`${line}\n`),
    });
    if (values.json) {
      io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      return 0;
    }
    const keys = ['mAP50', 'mAP50_95', 'precisionAt0.5', 'recallAt0.5'] as const;
    io.stdout.write(`${'precision / letterbox'.padEnd(24)}${keys.map((k) => k.padEnd(26)).join('')}\n`);
    for (const r of rows) {
      const s = r.scored as {
        metrics: Record<string, number>;
        baseline?: Record<string, number>;
        difference?: Record<string, number>;
      };
      const cell = (k: string) => {
        const d = s.difference?.[k];
        const diff = d === undefined ? '' : ` (${d >= 0 ? '+' : ''}${d.toFixed(4)})`;
        return `${(s.metrics[k] as number).toFixed(4)}${diff}`.padEnd(26);
      };
      io.stdout.write(`${`${r.precision} / ${r.letterbox}`.padEnd(24)}${keys.map(cell).join('')}\n`);
    }
    io.stdout.write("(in brackets: minus the model's metrics.json; target: within 0.005)\n");
    return 0;
  } catch (err) {
    io.stderr.write(`edgeqc bench --accuracy: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

/**
 * PYTHON as given, made absolute when it is a relative path (the scorer runs with scripts/ as its
 * working directory, where `.venv/bin/python` would not be found); a bare name is looked up on PATH.
 */
function pythonPath(given: string | undefined): string {
  if (!given) return join(PROJECT_ROOT, '.venv', 'bin', 'python');
  return given.includes('/') ? resolve(given) : given;
}
