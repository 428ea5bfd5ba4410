/**
 * A simulated camera for the demo and the benchmark: drops image files into the camera folder at a
 * steady rate, the way a real camera should: write the bytes under a hidden temporary name, then
 * rename them into place, so the agent never sees a half-written file. Each drop gets a new name
 * (`cam-<sequence>-<source name>`), so the same sample dropped twice is two files.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface CameraSimulatorOptions {
  /** Image files to drop, in this order. */
  readonly sources: readonly string[];
  readonly cameraDir: string;
  /** Time between two drops (start to start). 0: as fast as the disk takes them. */
  readonly intervalMs: number;
  /** How many files to drop in all, cycling through `sources`. Default: each source once. */
  readonly count?: number;
  /** Stops dropping (the promise resolves with what was dropped so far). */
  readonly signal?: AbortSignal;
  /** Called after each file landed, with its final path and the time it landed (performance.now()). */
  readonly onDrop?: (drop: CameraDrop) => void;
}

export interface CameraDrop {
  readonly path: string;
  readonly file: string;
  readonly source: string;
  readonly sequence: number;
  /** performance.now() right after the rename. */
  readonly droppedAtMs: number;
}

/** The name a drop gets in the camera folder. */
export function cameraFileName(sequence: number, source: string): string {
  return `cam-${String(sequence).padStart(5, '0')}-${basename(source)}`;
}

/** Drops the files; resolves with every drop once the last one landed (or the signal aborted). */
export async function runCameraSimulator(options: CameraSimulatorOptions): Promise<CameraDrop[]> {
  if (options.sources.length === 0) throw new RangeError('camera simulator: no source images to drop');
  const count = options.count ?? options.sources.length;
  const cache = new Map<string, Uint8Array>();
  const drops: CameraDrop[] = [];
  const start = performance.now();
  for (let i = 0; i < count; i += 1) {
    if (options.signal?.aborted) break;
    const due = start + i * options.intervalMs;
    const wait = due - performance.now();
    if (wait > 0) {
      try {
        await sleep(wait, undefined, { signal: options.signal });
      } catch {
        break; // aborted while waiting
      }
    }
    const source = options.sources[i % options.sources.length] as string;
    let bytes = cache.get(source);
    if (!bytes) {
      bytes = await readFile(source);
      // Keep the small demo set in memory; a long benchmark cycles through the same few files.
      if (cache.size < 64) cache.set(source, bytes);
    }
    const file = cameraFileName(i + 1, source);
    const path = join(options.cameraDir, file);
    const tmp = join(options.cameraDir, `.${file}.tmp`);
    await writeFile(tmp, bytes);
    await rename(tmp, path);
    const drop = { path, file, source, sequence: i + 1, droppedAtMs: performance.now() };
    drops.push(drop);
    options.onDrop?.(drop);
  }
  return drops;
}
