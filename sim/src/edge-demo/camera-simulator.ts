/**
 * The simulated camera of the one-machine world (`npm start`, the benchmark, the rollout demo's
 * devices): drops image files into the camera folder at a
 * steady rate, the way a real camera should: write the bytes under a hidden temporary name, then
 * rename them into place, so the agent never sees a half-written file. Each drop gets a new name
 * (`cam-<sequence>-<source name>` unless `fileName` says otherwise), so the same sample dropped twice
 * is two files.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { crc32 } from 'node:zlib';

export interface CameraSimulatorOptions {
  /** Image files to drop, in this order. */
  readonly sources: readonly string[];
  readonly cameraDir: string;
  /** Time between two drops (start to start). 0: as fast as the disk takes them. */
  readonly intervalMs: number;
  /** How many files to drop in all, cycling through `sources` (Infinity: until `signal` aborts). Default: each source once. */
  readonly count?: number;
  /** The name of a drop in the camera folder. Default `cameraFileName`. */
  readonly fileName?: (sequence: number, source: string) => string;
  /** Sequence number of the first drop (names go on from it). Default 1. */
  readonly firstSequence?: number;
  /**
   * Make every drop a different file: a comment naming the sequence goes into the image (a JPEG COM
   * segment, a PNG tEXt chunk; the pixels are unchanged). The agent recognises a re-sent identical file
   * and does not inspect it twice, so a long run cycling through a few samples needs this. Default false.
   */
  readonly uniqueBytes?: boolean;
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
  const firstSequence = options.firstSequence ?? 1;
  const cache = new Map<string, Uint8Array>();
  const drops: CameraDrop[] = [];
  const nameOf = options.fileName ?? cameraFileName;
  await mkdir(options.cameraDir, { recursive: true });
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
    const sequence = firstSequence + i;
    const file = nameOf(sequence, source);
    const path = join(options.cameraDir, file);
    const tmp = join(options.cameraDir, `.${file}.tmp`);
    await writeFile(tmp, options.uniqueBytes ? withComment(bytes, `edgeqc camera simulator ${sequence}`) : bytes);
    await rename(tmp, path);
    const drop = { path, file, source, sequence, droppedAtMs: performance.now() };
    drops.push(drop);
    options.onDrop?.(drop);
  }
  return drops;
}

/** The image with a comment in it (JPEG: COM segment after SOI; PNG: tEXt chunk after IHDR); else unchanged. */
export function withComment(bytes: Uint8Array, text: string): Uint8Array {
  const body = Buffer.from(text, 'latin1');
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    const segment = Buffer.alloc(4 + body.length);
    segment.writeUInt16BE(0xfffe, 0);
    segment.writeUInt16BE(body.length + 2, 2);
    body.copy(segment, 4);
    return Buffer.concat([bytes.subarray(0, 2), segment, bytes.subarray(2)]);
  }
  const ihdrEnd = 8 + 4 + 4 + 13 + 4; // signature, IHDR length, type, data, crc
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes.length > ihdrEnd) {
    // chunk = length (of the data after the type), type 'tEXt', keyword NUL text, crc over type + data
    const data = Buffer.concat([Buffer.from('tEXtComment', 'latin1'), Buffer.from([0]), body]);
    const chunk = Buffer.alloc(4 + data.length + 4);
    chunk.writeUInt32BE(data.length - 4, 0);
    data.copy(chunk, 4);
    chunk.writeUInt32BE(crc32(data), 4 + data.length);
    return Buffer.concat([bytes.subarray(0, ihdrEnd), chunk, bytes.subarray(ihdrEnd)]);
  }
  return bytes;
}
