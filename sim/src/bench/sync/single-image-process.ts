/**
 * The single-image reference measured in a process of its own (single-image-main.ts), with the agent's
 * environment (the memory variables), detector settings and nice value for everything but inference:
 * so it can be taken next to the runs it is the reference of while the agent runs, without lowering
 * this process's threads (which would slow the benchmark's clients for the rest of the run), and
 * under the same scheduling as the agent's own decode and letterbox on a shared machine.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { OnnxDetectorOptions } from '@edgeqc/edge-component/adapters/onnx-detector';
import type { SingleImageFigures } from './single-image.ts';

export const SINGLE_IMAGE_ENTRY = fileURLToPath(new URL('./single-image-main.ts', import.meta.url));

/** What single-image-main.ts reads as its one argument (JSON). */
export interface SingleImageJob {
  readonly rounds: number;
  readonly settings: OnnxDetectorOptions;
}

export async function measureSingleImageApart(
  job: SingleImageJob,
  o: {
    readonly nodeArgs: readonly string[];
    readonly env: Readonly<Record<string, string>>;
    readonly signal?: AbortSignal;
  },
): Promise<SingleImageFigures> {
  const child = spawn(process.execPath, [...o.nodeArgs, SINGLE_IMAGE_ENTRY, JSON.stringify(job)], {
    env: { ...process.env, ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(o.signal ? { signal: o.signal } : {}),
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    out += c;
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    err = (err + c).slice(-4000);
  });
  const [code] = (await once(child, 'close')) as [number | null];
  if (code !== 0) throw new Error(`the single-image measurement exited with ${code}:\n${err}`);
  return JSON.parse(out) as SingleImageFigures;
}
