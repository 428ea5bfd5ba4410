import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_SAMPLES_DIR } from '@edgeqc/edge-component/demo-bundle';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { runCameraSimulator, withComment } from '../../src/edge-demo/camera-simulator.ts';

const samples = ['scratch-05.jpg', 'clean-10.jpg'].map((f) => join(DEMO_SAMPLES_DIR, f));

describe('camera simulator', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('drops complete copies under new names, cycling through the sources, with no temporary file left', async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgeqc-camera-'));
    const seen: string[] = [];
    const drops = await runCameraSimulator({
      sources: samples,
      cameraDir: dir,
      intervalMs: 1,
      count: 5,
      onDrop: (d) => seen.push(d.file),
    });
    expect(drops.map((d) => d.file)).toEqual([
      'cam-00001-scratch-05.jpg',
      'cam-00002-clean-10.jpg',
      'cam-00003-scratch-05.jpg',
      'cam-00004-clean-10.jpg',
      'cam-00005-scratch-05.jpg',
    ]);
    expect(seen).toEqual(drops.map((d) => d.file));
    expect((await readdir(dir)).sort()).toEqual(drops.map((d) => d.file));
    expect(await readFile(join(dir, 'cam-00004-clean-10.jpg'))).toEqual(await readFile(samples[1] as string));
  });

  it('stops dropping when aborted', async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgeqc-camera-'));
    const controller = new AbortController();
    const drops = await runCameraSimulator({
      sources: samples,
      cameraDir: dir,
      intervalMs: 10_000,
      count: 100,
      signal: controller.signal,
      onDrop: () => controller.abort(),
    });
    expect(drops).toHaveLength(1);
    expect(await readdir(dir)).toHaveLength(1);
  });
});

describe('unique bytes per drop', () => {
  it('puts a comment into JPEG and PNG files: different sha256, the same pixels', async () => {
    for (const name of ['scratch-05.jpg', 'clean-04.png']) {
      const original = await readFile(join(DEMO_SAMPLES_DIR, name));
      const a = withComment(original, 'edgeqc camera simulator 1');
      const b = withComment(original, 'edgeqc camera simulator 2');
      expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
      expect(Buffer.from(a).equals(original)).toBe(false);
      const pixels = async (bytes: Uint8Array) => sharp(bytes, { failOn: 'warning' }).raw().toBuffer();
      expect((await pixels(a)).equals(await pixels(original))).toBe(true);
      expect((await pixels(b)).equals(await pixels(original))).toBe(true);
    }
  });
});
