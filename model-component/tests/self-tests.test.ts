import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { selfTestsFromSamples } from '../src/self-tests.ts';
import { DEMO_DIR } from './helpers/fixtures.ts';

describe('selfTestsFromSamples', () => {
  it('picks two scratched and two clean tags from the demo samples, smallest first', async () => {
    const picked = await selfTestsFromSamples(join(DEMO_DIR, 'samples'));
    expect(picked.map((p) => p.expectedVerdict)).toEqual(['defect', 'defect', 'ok', 'ok']);
    expect(picked.map((p) => basename(p.path)).every((f) => /^(scratch|clean)-/.test(f))).toBe(true);
  });

  it('refuses a folder without images of both kinds', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edgeqc-samples-'));
    try {
      await writeFile(join(dir, 'a.jpg'), 'x');
      await writeFile(join(dir, 'index.json'), JSON.stringify([{ file: 'a.jpg', scratches: 1 }]));
      await expect(selfTestsFromSamples(dir)).rejects.toThrow(/both with and without defects/);
      await expect(selfTestsFromSamples(join(dir, 'none'))).rejects.toThrow(/index\.json is missing/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
