/**
 * A simulated camera: drops image files into a device's camera folder one by one, the way a camera
 * that writes a hidden temporary name and renames it in does (the agent never sees a half-written file).
 * Every shot is a distinct image file: a comment (JPEG COM segment, PNG tEXt chunk) carries the shot
 * name, so re-using a source image does not make a duplicate (which the agent would rightly skip).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { crc32 } from 'node:zlib';

export interface CameraShot {
  /** Source file. */
  readonly path: string;
  /** Name in the camera folder (unique per shot). */
  readonly name: string;
}

/** Shot names `<prefix>-0001.jpg`... cycling through `sources`. */
export function cameraShots(sources: readonly string[], count: number, prefix: string): CameraShot[] {
  return Array.from({ length: count }, (_, i) => {
    const path = sources[i % sources.length]!;
    return { path, name: `${prefix}-${String(i + 1).padStart(4, '0')}${extname(path).toLowerCase()}` };
  });
}

export async function feedCamera(
  cameraDir: string,
  shots: readonly CameraShot[],
  options: { intervalMs?: number; signal?: AbortSignal; onShot?: (shot: CameraShot) => void } = {},
): Promise<number> {
  await mkdir(cameraDir, { recursive: true });
  let written = 0;
  for (const shot of shots) {
    if (options.signal?.aborted) break;
    const tmp = join(cameraDir, `.${shot.name}.part`);
    await writeFile(tmp, stampImage(await readFile(shot.path), shot.name));
    await rename(tmp, join(cameraDir, shot.name));
    written += 1;
    options.onShot?.(shot);
    if (options.intervalMs) await new Promise((r) => setTimeout(r, options.intervalMs));
  }
  return written;
}

/** The image with a comment naming the shot (valid JPEG or PNG; other bytes are returned unchanged). */
export function stampImage(bytes: Uint8Array, label: string): Uint8Array {
  const text = Buffer.from(`edgeqc-shot:${label}`, 'latin1');
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    const segment = Buffer.alloc(4);
    segment.writeUInt16BE(0xfffe, 0);
    segment.writeUInt16BE(text.length + 2, 2);
    return Buffer.concat([bytes.subarray(0, 2), segment, text, bytes.subarray(2)]);
  }
  const PNG = [0x89, 0x50, 0x4e, 0x47];
  if (PNG.every((b, i) => bytes[i] === b)) {
    const ihdrEnd = 8 + 4 + 4 + 13 + 4;
    const type = Buffer.from('tEXt', 'latin1');
    const data = Buffer.concat([Buffer.from('Comment\0', 'latin1'), text]);
    const chunk = Buffer.alloc(12 + data.length);
    chunk.writeUInt32BE(data.length, 0);
    type.copy(chunk, 4);
    data.copy(chunk, 8);
    chunk.writeUInt32BE(crc32(Buffer.concat([type, data])) >>> 0, 8 + data.length);
    return Buffer.concat([bytes.subarray(0, ihdrEnd), chunk, bytes.subarray(ihdrEnd)]);
  }
  return bytes;
}
