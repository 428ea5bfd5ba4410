import { createHash } from 'node:crypto';
import { link, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { createFolderArchive } from '../../src/adapters/folder-archive.ts';
import type { Inspection } from '../../src/contracts/inspection.ts';
import type { AdmittedImage } from '../../src/ports.ts';
import { capturingLogger, tempDir } from './helpers.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const samples = fileURLToPath(new URL('../../../model-component/models/tag-scratch/samples/', import.meta.url));
const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

async function cameraFile(dir: string, name: string, bytes: Uint8Array, format: 'jpeg' | 'png' = 'jpeg') {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return {
    path,
    file: name,
    bytes,
    sha256: sha(bytes),
    format,
    sizeBytes: bytes.length,
    mtimeMs: 0,
  } satisfies AdmittedImage;
}

function inspectionOf(image: AdmittedImage, verdict: Inspection['verdict'], width: number, height: number): Inspection {
  const box = {
    x: Math.round(width / 4),
    y: Math.round(height / 4),
    width: Math.round(width / 2),
    height: Math.round(height / 3),
  };
  return {
    schema: 'edgeqc.inspection.v1',
    messageId: sha(`${image.sha256}model`),
    thingName: 'dev1',
    image: { file: image.file, sha256: image.sha256, width, height },
    capturedAt: new Date(0).toISOString(),
    inspectedAt: new Date().toISOString(),
    model: { name: 'tag-scratch', version: '1.0.0', sha256: sha('model'), precision: 'int8' },
    verdict,
    thresholds: { confidence: 0.25, iou: 0.7, review: 0.25, defect: 0.5 },
    detections:
      verdict === 'ok'
        ? []
        : [
            {
              label: 'scratch',
              classId: 0,
              confidence: 0.9,
              box,
              boxNormalized: {
                x: box.x / width,
                y: box.y / height,
                width: box.width / width,
                height: box.height / height,
              },
            },
          ],
    timingsMs: { decode: 1, preprocess: 1, inference: 1, postprocess: 1, total: 4 },
  };
}

async function setup(annotate = false) {
  const base = await tempDir(cleanups);
  const camera = join(base, 'camera');
  const root = join(base, 'work');
  await mkdir(camera);
  const { log, lines } = capturingLogger();
  return { camera, root, lines, archive: createFolderArchive({ root, annotate, log }) };
}

describe('folder archive', () => {
  it('moves an inspected image to done/<verdict>/ and never overwrites: a suffix from the sha256', async () => {
    const { camera, root, archive } = await setup();
    const first = await cameraFile(camera, 'tag-1.jpg', Buffer.from('first bytes'));
    const to = await archive.done(first, inspectionOf(first, 'defect', 10, 10));
    expect(to).toBe(join(root, 'done', 'defect', 'tag-1.jpg'));
    expect(await readFile(to, 'utf8')).toBe('first bytes');
    await expect(stat(first.path)).rejects.toMatchObject({ code: 'ENOENT' });

    // The camera reuses the name: the earlier file stays, the new one gets a suffix.
    const second = await cameraFile(camera, 'tag-1.jpg', Buffer.from('second bytes'));
    const to2 = await archive.done(second, inspectionOf(second, 'defect', 10, 10));
    expect(basename(to2)).toBe(`tag-1.${second.sha256.slice(0, 8)}.jpg`);
    const third = await cameraFile(camera, 'tag-1.jpg', Buffer.from('second bytes'));
    const to3 = await archive.done(third, inspectionOf(third, 'defect', 10, 10));
    expect(basename(to3)).toBe(`tag-1.${second.sha256.slice(0, 8)}-2.jpg`);
    expect(await readFile(to, 'utf8')).toBe('first bytes');
    expect(await readFile(to2, 'utf8')).toBe('second bytes');
    expect((await readdir(join(root, 'done', 'defect'))).sort()).toEqual(
      [basename(to), basename(to2), basename(to3)].sort(),
    );
    expect(await readdir(camera)).toEqual([]);
  });

  it('quarantines with a reason file; a vanished file is an ArchiveError, not a crash', async () => {
    const { camera, root, archive } = await setup();
    const bad = await cameraFile(camera, 'broken.jpg', Buffer.from('not a jpeg'));
    const to = await archive.quarantine(bad.path, {
      code: 'IMAGE_CORRUPT',
      message: 'broken.jpg is not a JPEG',
      sha256: bad.sha256,
    });
    expect(to).toBe(join(root, 'quarantine', 'broken.jpg'));
    const reason = JSON.parse(await readFile(`${to}.reason.json`, 'utf8'));
    expect(reason).toEqual({
      code: 'IMAGE_CORRUPT',
      message: 'broken.jpg is not a JPEG',
      sha256: bad.sha256,
      at: expect.any(String),
    });
    expect(Number.isNaN(Date.parse(reason.at))).toBe(false);

    // Same name again, without a sha256 (e.g. unreadable): still a new name, with its own reason file.
    await writeFile(join(camera, 'broken.jpg'), 'other');
    const to2 = await archive.quarantine(join(camera, 'broken.jpg'), { code: 'IMAGE_UNREADABLE', message: 'x' });
    expect(to2).not.toBe(to);
    expect(JSON.parse(await readFile(`${to2}.reason.json`, 'utf8'))).not.toHaveProperty('sha256');

    // A directory named like an image is moved too.
    await mkdir(join(camera, 'x.jpg'));
    const dirTo = await archive.quarantine(join(camera, 'x.jpg'), { code: 'IMAGE_UNREADABLE', message: 'a directory' });
    expect((await stat(dirTo)).isDirectory()).toBe(true);

    await expect(
      archive.quarantine(join(camera, 'gone.jpg'), { code: 'IMAGE_EMPTY', message: 'empty' }),
    ).rejects.toMatchObject({
      name: 'ArchiveError',
      code: 'ARCHIVE_SOURCE_MISSING',
    });
    const ghost = { ...bad, path: join(camera, 'ghost.jpg'), file: 'ghost.jpg', sha256: sha('ghost') };
    await expect(archive.done(ghost, inspectionOf(ghost, 'ok', 1, 1))).rejects.toMatchObject({
      code: 'ARCHIVE_SOURCE_MISSING',
    });
  });

  it('finishes a move interrupted by a crash (linked, not unlinked; or moved, not recorded) without a copy', async () => {
    const { camera, root, archive } = await setup();
    const image = await cameraFile(camera, 'tag-2.jpg', Buffer.from('tag two'));
    const dir = join(root, 'done', 'ok');
    await mkdir(dir, { recursive: true });
    await link(image.path, join(dir, 'tag-2.jpg')); // crash between link and unlink
    const to = await archive.done(image, inspectionOf(image, 'ok', 1, 1));
    expect(to).toBe(join(dir, 'tag-2.jpg'));
    expect(await readdir(dir)).toEqual(['tag-2.jpg']);
    expect(await readdir(camera)).toEqual([]);
    // Moved before a crash, but not marked archived: done() again returns where it is.
    expect(await archive.done(image, inspectionOf(image, 'ok', 1, 1))).toBe(to);
  });

  it('moves across file systems (copy, fsync, link, unlink) when the camera folder is elsewhere', async () => {
    const { root, archive } = await setup();
    const other = await mkdtemp(
      join((await stat('/dev/shm').catch(() => null))?.isDirectory() ? '/dev/shm' : tmpdir(), 'edgeqc-cam-'),
    );
    cleanups.push(() => rm(other, { recursive: true, force: true }));
    const image = await cameraFile(other, 'tag-3.jpg', Buffer.from('tag three'));
    const to = await archive.done(image, inspectionOf(image, 'unclear', 1, 1));
    expect(to).toBe(join(root, 'done', 'unclear', 'tag-3.jpg'));
    expect(await readFile(to, 'utf8')).toBe('tag three');
    expect(await readdir(other)).toEqual([]);
    expect((await readdir(join(root, 'done', 'unclear'))).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('writes an annotated copy: a valid JPEG of the same size with the box drawn', async () => {
    const { camera, root, archive } = await setup(true);
    const name = (await readdir(samples)).find((n) => n.endsWith('.jpg'));
    expect(name).toBeDefined();
    const bytes = await readFile(join(samples, name as string));
    const meta = await sharp(bytes).metadata();
    const image = await cameraFile(camera, name as string, bytes);
    const inspection = inspectionOf(image, 'defect', meta.width as number, meta.height as number);
    const to = await archive.done(image, inspection);
    const annotated = join(root, 'done', 'defect', 'annotated', basename(to));
    const out = await sharp(annotated).metadata();
    expect({ format: out.format, width: out.width, height: out.height }).toEqual({
      format: 'jpeg',
      width: meta.width,
      height: meta.height,
    });
    // The box's left edge is drawn in red over the original pixels.
    const box = inspection.detections[0]!.box;
    const at = { left: box.x, top: Math.round(box.y + box.height / 2), width: 1, height: 1 };
    const pixel = await sharp(annotated).extract(at).raw().toBuffer();
    const original = await sharp(bytes).extract(at).raw().toBuffer();
    expect(pixel[0]!).toBeGreaterThan(180);
    expect(pixel[1]!).toBeLessThan(110);
    expect(Array.from(pixel)).not.toEqual(Array.from(original));
    expect(await readFile(to)).toEqual(bytes); // the archived original is untouched
  });

  it('annotates in EXIF-oriented pixels (a rotated JPEG) and PNG as PNG; an undecodable image only logs', async () => {
    const { camera, root, archive, lines } = await setup(true);
    const rotated = await sharp({ create: { width: 60, height: 30, channels: 3, background: '#808080' } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const image = await cameraFile(camera, 'rotated.jpg', rotated);
    const to = await archive.done(image, inspectionOf(image, 'unclear', 30, 60));
    const out = await sharp(join(root, 'done', 'unclear', 'annotated', basename(to))).metadata();
    expect([out.width, out.height]).toEqual([30, 60]);

    const png = await sharp({ create: { width: 20, height: 10, channels: 3, background: '#000000' } })
      .png()
      .toBuffer();
    const pngImage = await cameraFile(camera, 'tag.png', png, 'png');
    const pngTo = await archive.done(pngImage, inspectionOf(pngImage, 'defect', 20, 10));
    expect((await sharp(join(root, 'done', 'defect', 'annotated', basename(pngTo))).metadata()).format).toBe('png');

    const junk = await cameraFile(camera, 'junk.jpg', Buffer.from('not an image'));
    const junkTo = await archive.done(junk, inspectionOf(junk, 'ok', 1, 1));
    expect(await readFile(junkTo, 'utf8')).toBe('not an image');
    expect(lines.some((l) => l.msg === 'archive: annotated copy not written')).toBe(true);
  });
});
