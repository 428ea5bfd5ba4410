/**
 * `edgeqc inspect` names every folder entry it skips and why (a symbolic link, a folder, a FIFO, a
 * hidden name, another extension), and refuses a symbolic link named explicitly without following it.
 * Real demo model, real sample image, real links and FIFO.
 */
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectCommand } from '../../src/cli/inspect-command.ts';
import { ErrorEventSchema } from '../../src/contracts/index.ts';
import { DEMO_SAMPLES_DIR, demoBundle } from '../../src/demo-model/demo-bundle.ts';
import { captureIo as captureIoWith } from './capture-io.ts';

const captureIo = () => captureIoWith({ EDGEQC_THING_NAME: 'cli-skips' });

describe('edgeqc inspect: skipped entries are named', () => {
  let dir: string;
  let cacheDir: string;
  let sample: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgeqc-inspect-skips-'));
    cacheDir = await mkdtemp(join(tmpdir(), 'edgeqc-inspect-skips-cache-'));
    process.env.EDGEQC_DEMO_CACHE = cacheDir;
    const bundle = await demoBundle({ cacheDir });
    const first = bundle.manifest.selfTest[0]?.file.replace(/^selftest-\d+-/, '') as string;
    sample = join(DEMO_SAMPLES_DIR, first);
    await copyFile(sample, join(dir, 'image.jpg'));
    await symlink(sample, join(dir, 'link.jpg'));
    await mkdir(join(dir, 'sub.jpg'));
    await writeFile(join(dir, 'readme.txt'), 'notes');
    await writeFile(join(dir, '.hidden.jpg'), 'hidden');
    execFileSync('mkfifo', [join(dir, 'pipe.jpg')]);
  });
  afterAll(async () => {
    delete process.env.EDGEQC_DEMO_CACHE;
    await rm(dir, { recursive: true, force: true });
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('inspects the one image and names each skipped entry with its reason on stderr', async () => {
    const c = captureIo();
    const code = await inspectCommand.run([dir, '--json'], c.io);
    expect(code, c.err()).toBe(0);
    expect(c.out().trim().split('\n')).toHaveLength(1);
    const err = c.err();
    expect(err).toContain(`skipped  ${join(dir, 'link.jpg')}  a symbolic link (not followed)`);
    expect(err).toContain(`skipped  ${join(dir, 'sub.jpg')}  a folder`);
    expect(err).toContain(`skipped  ${join(dir, 'pipe.jpg')}  a FIFO, not a regular file`);
    expect(err).toContain(`skipped  ${join(dir, 'readme.txt')}  not named .jpg, .jpeg or .png`);
    expect(err).toContain(`skipped  ${join(dir, '.hidden.jpg')}  a hidden or temporary name`);
    expect(err).toContain('5 skipped');
  }, 120_000);

  it('refuses a symbolic link named explicitly (IMAGE_NOT_REGULAR_FILE), never reading its target', async () => {
    const c = captureIo();
    const code = await inspectCommand.run([join(dir, 'link.jpg'), '--json'], c.io);
    expect(code).toBe(1);
    const error = ErrorEventSchema.parse(JSON.parse(c.out().trim()));
    expect(error.code).toBe('IMAGE_NOT_REGULAR_FILE');
    expect(error.message).toContain('a symbolic link');
  }, 120_000);
});
