/** `edgeqc bench --inspect`: `edgeqc inspect DIR` beside a sequential Python script (inspect-bench.ts). */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { CommandIo } from '@edgeqc/model-component/cli';
import { PROJECT_ROOT } from '../project-root.ts';

const DEFAULT_DIR = join(PROJECT_ROOT, '.work', 'demo-model', 'data', 'test', 'images');

const HELP = `usage: edgeqc bench --inspect [--dir DIR] [--precision int8|fp32] [--rounds 3] [--json]

Times \`edgeqc inspect DIR\` (the agent's preparer and detector, files under way while one is
inferred) beside scripts/demo_model/sequential_inspect.py (OpenCV decode and letterbox, onnxruntime
with automatic threads, one image at a time) on the same images, in alternation. Prints images/s of
each over the whole run (start-up included) and from the first result to the last, and their ratio.
  --dir DIR           a folder of .jpg/.png images (default .work/demo-model/data/test/images; make it
                      with cd scripts && $PYTHON -m demo_model.generator --out ../.work/demo-model/data/test --seed 2 --count 500)
  --precision P       the demo model's int8 (default) or fp32
  --rounds N          rounds of both (default 3)
  --json              the report as JSON
Environment: PYTHON, a Python with scripts/demo_model/requirements.txt (default .venv/bin/python).
Run it on an otherwise idle machine.
`;

export async function runInspectBenchCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  let options: { dir: string; precision: 'int8' | 'fp32'; rounds: number; json: boolean };
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        dir: { type: 'string' },
        precision: { type: 'string' },
        rounds: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      io.stdout.write(HELP);
      return 0;
    }
    const precision = values.precision ?? 'int8';
    if (precision !== 'int8' && precision !== 'fp32')
      throw new Error(`--precision ${JSON.stringify(precision)}: expected int8 or fp32`);
    const rounds = Number(values.rounds ?? '3');
    if (!Number.isInteger(rounds) || rounds < 1)
      throw new Error(`--rounds ${JSON.stringify(values.rounds)}: expected a whole number >= 1`);
    const dir = values.dir ?? DEFAULT_DIR;
    const images = (await readdir(dir).catch(() => [])).filter((f) => /\.(jpe?g|png)$/i.test(f));
    if (images.length < 2) throw new Error(`--dir ${dir}: expected a folder with at least 2 .jpg/.png images`);
    options = { dir, precision, rounds, json: values.json === true };
  } catch (err) {
    io.stderr.write(`edgeqc bench --inspect: ${err instanceof Error ? err.message : String(err)}\n\n${HELP}`);
    return 2;
  }
  const { runInspectBench } = await import('./inspect-bench.ts');
  const report = await runInspectBench({
    ...options,
    python: process.env.PYTHON ?? join(PROJECT_ROOT, '.venv', 'bin', 'python'),
    say: (line) => io.stderr.write(`${line}\n`),
  });
  if (options.json) {
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  }
  const f = (n: number) => n.toFixed(1).padStart(6);
  io.stdout.write(
    [
      `edgeqc inspect vs sequential Python, ${options.precision}, ${report.runs[0]?.results ?? 0} images, ${options.rounds} round(s), medians`,
      `                      whole run (images/s)   first to last result (images/s)`,
      `edgeqc inspect        ${f(report.edgeqc.wholePerS)}                 ${f(report.edgeqc.steadyPerS)}`,
      `sequential Python     ${f(report.python.wholePerS)}                 ${f(report.python.steadyPerS)}`,
      `edgeqc / Python       ${report.wholeRatio.toFixed(2).padStart(6)}                 ${report.steadyRatio.toFixed(2).padStart(6)}   (target >= 1)`,
      '',
    ].join('\n'),
  );
  return 0;
}
