import { createHash } from 'node:crypto';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDevKeyPair } from '@edgeqc/model-component/signers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectCommand } from '../../src/cli/inspect-command.ts';
import { ErrorEventSchema, type Inspection, InspectionSchema } from '../../src/contracts/index.ts';
import { DEMO_SAMPLES_DIR, demoBundle } from '../../src/demo-model/demo-bundle.ts';
import { captureIo as captureIoWith } from './capture-io.ts';

const captureIo = () => captureIoWith({ EDGEQC_THING_NAME: 'cli-test' });

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('edgeqc inspect (real demo model, real sample images)', () => {
  let dir: string;
  let cacheDir: string;
  let selfTests: Array<{ source: string; expected: string }>;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgeqc-inspect-'));
    cacheDir = await mkdtemp(join(tmpdir(), 'edgeqc-inspect-cache-'));
    process.env.EDGEQC_DEMO_CACHE = cacheDir;
    // The demo bundle's self-test images: the model is known to give their expected verdicts.
    const bundle = await demoBundle({ cacheDir });
    selfTests = bundle.manifest.selfTest.map((t) => ({
      source: join(DEMO_SAMPLES_DIR, t.file.replace(/^selftest-\d+-/, '')),
      expected: t.expectedVerdict,
    }));
    for (const t of selfTests) await copyFile(t.source, join(dir, t.source.split('/').pop() as string));
    const jpeg = await readFile(selfTests[0]?.source as string);
    await writeFile(join(dir, 'truncated.jpg'), jpeg.subarray(0, Math.floor(jpeg.length / 3)));
    await writeFile(join(dir, 'notes.jpg'), 'this is a text file, not an image\n');
    await writeFile(join(dir, '.hidden.jpg'), 'skipped: hidden');
  });
  afterAll(async () => {
    delete process.env.EDGEQC_DEMO_CACHE;
    await rm(dir, { recursive: true, force: true });
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('prints one schema-valid message per file with --json; bad files give an error message and exit 1', async () => {
    const c = captureIo();
    const code = await inspectCommand.run([dir, '--json'], c.io);
    expect(code).toBe(1);
    const lines = c
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { schema: string });
    expect(lines).toHaveLength(selfTests.length + 2); // .hidden.jpg skipped
    const inspections = lines.filter((l) => l.schema === 'edgeqc.inspection.v1') as Inspection[];
    const errors = lines.filter((l) => l.schema === 'edgeqc.error.v1').map((l) => ErrorEventSchema.parse(l));
    expect(errors.map((e) => e.file).sort()).toEqual(['notes.jpg', 'truncated.jpg']);
    for (const e of errors) expect(e.message).toContain(e.file);
    expect(inspections).toHaveLength(selfTests.length);
    for (const t of selfTests) {
      const name = t.source.split('/').pop() as string;
      const m = InspectionSchema.parse(inspections.find((i) => i.image.file === name));
      expect(m.thingName).toBe('cli-test');
      expect(m.image.sha256).toBe(sha256(await readFile(t.source)));
      expect(m.verdict).toBe(t.expected);
      const best = Math.max(0, ...m.detections.map((d) => d.confidence));
      expect(m.verdict === 'defect').toBe(best >= m.thresholds.defect);
    }
    expect(c.err()).toContain('demo key');
  });

  it('prints a readable line per image: verdict, file, best score, boxes, time', async () => {
    const c = captureIo();
    const files = selfTests.map((t) => t.source);
    expect(await inspectCommand.run(files, c.io)).toBe(0);
    const lines = c.out().trim().split('\n');
    expect(lines).toHaveLength(files.length);
    for (const [i, t] of selfTests.entries()) {
      expect(lines[i]).toMatch(
        new RegExp(
          `^${t.expected.toUpperCase()}\\s+${t.source.split('/').pop()}\\s+best \\d\\.\\d\\d\\s+\\[.*\\]\\s+\\d+ ms$`,
        ),
      );
    }
  });

  it('refuses a bundle without a trusted key, and one signed by another key, naming the reason', async () => {
    const bundle = await demoBundle({ cacheDir });
    const noKey = captureIo();
    expect(await inspectCommand.run([selfTests[0]?.source as string, '--model', bundle.dir], noKey.io)).toBe(1);
    expect(noKey.err()).toContain('TRUSTED_KEY_REQUIRED');
    const other = join(dir, 'other.pub.pem');
    await writeFile(other, generateDevKeyPair('ed25519').publicKeyPem);
    const wrongKey = captureIo();
    expect(
      await inspectCommand.run(
        [selfTests[0]?.source as string, '--model', bundle.dir, '--trusted-key', other],
        wrongKey.io,
      ),
    ).toBe(1);
    expect(wrongKey.err()).toMatch(/UNKNOWN_KEY|SIGNATURE/);
    expect(wrongKey.out()).toBe('');
    const good = captureIo();
    expect(
      await inspectCommand.run(
        [selfTests[0]?.source as string, '--model', bundle.dir, '--trusted-key', bundle.publicKeyFile, '--json'],
        good.io,
      ),
    ).toBe(0);
    expect(InspectionSchema.parse(JSON.parse(good.out())).verdict).toBe(selfTests[0]?.expected);
  });

  it('reports usage errors with exit code 2', async () => {
    const none = captureIo();
    expect(await inspectCommand.run([], none.io)).toBe(2);
    expect(none.err()).toContain('expected at least one image');
    const precision = captureIo();
    expect(await inspectCommand.run([dir, '--precision', 'int4'], precision.io)).toBe(2);
    expect(precision.err()).toContain('expected int8 or fp32');
  });
});
