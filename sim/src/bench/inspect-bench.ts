/**
 * `edgeqc bench --inspect`: `edgeqc inspect DIR` beside the plain sequential Python script an engineer
 * would write (scripts/demo_model/sequential_inspect.py: OpenCV decode and letterbox, onnxruntime with
 * automatic threads, one image at a time), on the same folder, in alternation, in one run.
 *
 * Both run as child processes and are timed the same way from here: every result line is stamped as it
 * arrives on stdout. *Whole* is images over the wall time from spawn to exit (start-up, model load and
 * the self-test included); *steady* is (images - 1) over the time from the first result line to the
 * last, which leaves start-up out of both alike.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Precision } from '@edgeqc/model-component/manifest';
import { PROJECT_ROOT } from '../project-root.ts';

export interface InspectBenchOptions {
  readonly dir: string;
  readonly precision: Precision;
  readonly rounds: number;
  readonly python: string;
  readonly say: (line: string) => void;
}

export interface TimedRun {
  readonly tool: 'edgeqc' | 'python';
  readonly round: number;
  readonly results: number;
  readonly wallMs: number;
  /** First to last result line. */
  readonly steadyMs: number;
  /** Results with a detection at confidence >= 0.5 (a sanity check that both saw the same images). */
  readonly withDetection: number;
}

export interface InspectBenchReport {
  readonly dir: string;
  readonly precision: Precision;
  readonly runs: readonly TimedRun[];
  readonly edgeqc: { readonly wholePerS: number; readonly steadyPerS: number };
  readonly python: { readonly wholePerS: number; readonly steadyPerS: number };
  /** edgeqc over python, medians of the rounds. */
  readonly wholeRatio: number;
  readonly steadyRatio: number;
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

/** Best detection score of one result line of either tool; undefined for a line that is not a result. */
function bestScore(line: string): number | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const o = parsed as { best?: unknown; detections?: Array<{ score?: unknown; confidence?: unknown }> };
  if (typeof o.best === 'number') return o.best;
  if (!Array.isArray(o.detections)) return undefined;
  return o.detections.reduce((m, d) => Math.max(m, Number(d.score ?? d.confidence ?? 0)), 0);
}

function timeChild(
  tool: TimedRun['tool'],
  round: number,
  command: string,
  args: readonly string[],
  cwd: string,
): Promise<TimedRun> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const stamps: number[] = [];
    let withDetection = 0;
    let pending = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const now = performance.now();
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const best = bestScore(line);
        if (best === undefined) continue;
        stamps.push(now);
        if (best >= 0.5) withDetection++;
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - t0;
      if (code !== 0) {
        reject(new Error(`${tool} (${command} ${args.join(' ')}) exited with ${code}:\n${stderr}`));
        return;
      }
      const first = stamps[0] ?? 0;
      const last = stamps.at(-1) ?? 0;
      resolve({ tool, round, results: stamps.length, wallMs, steadyMs: last - first, withDetection });
    });
  });
}

export async function runInspectBench(o: InspectBenchOptions): Promise<InspectBenchReport> {
  const modelFile = join(PROJECT_ROOT, 'model-component', 'models', 'tag-scratch', `model.${o.precision}.onnx`);
  const edgeqc = () =>
    [
      process.execPath,
      [join(PROJECT_ROOT, 'scripts', 'edgeqc.ts'), 'inspect', o.dir, '--json', '--precision', o.precision],
    ] as const;
  const python = () =>
    [o.python, ['-m', 'demo_model.sequential_inspect', '--model', modelFile, '--dir', o.dir]] as const;
  const runs: TimedRun[] = [];
  for (let round = 1; round <= o.rounds; round++) {
    // Alternate which goes first, so a drift in the machine's load falls on both alike.
    const order = round % 2 === 1 ? (['edgeqc', 'python'] as const) : (['python', 'edgeqc'] as const);
    for (const tool of order) {
      const [cmd, args] = tool === 'edgeqc' ? edgeqc() : python();
      const cwd = tool === 'edgeqc' ? PROJECT_ROOT : join(PROJECT_ROOT, 'scripts');
      const run = await timeChild(tool, round, cmd, args, cwd);
      runs.push(run);
      o.say(
        `round ${round} ${tool.padEnd(6)} ${run.results} images, wall ${(run.wallMs / 1000).toFixed(1)} s, ` +
          `first to last result ${(run.steadyMs / 1000).toFixed(1)} s, ${run.withDetection} with a detection >= 0.5`,
      );
    }
  }
  const rates = (tool: TimedRun['tool']) => {
    const mine = runs.filter((r) => r.tool === tool);
    return {
      wholePerS: median(mine.map((r) => r.results / (r.wallMs / 1000))),
      steadyPerS: median(mine.map((r) => (r.results - 1) / Math.max(r.steadyMs / 1000, 1e-3))),
    };
  };
  const e = rates('edgeqc');
  const p = rates('python');
  return {
    dir: o.dir,
    precision: o.precision,
    runs,
    edgeqc: e,
    python: p,
    wholeRatio: e.wholePerS / p.wholePerS,
    steadyRatio: e.steadyPerS / p.steadyPerS,
  };
}
