import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_SAMPLES_DIR } from '@edgeqc/edge-component/demo-bundle';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDemoSummary, runEdgeDemo } from '../../src/edge-demo/run-edge-demo.ts';

describe('npm start demo (embedded Aedes, the agent in-process, simulated camera, watch lines)', () => {
  let root: string;
  let cacheDir: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'edgeqc-demo-test-'));
    cacheDir = await mkdtemp(join(tmpdir(), 'edgeqc-demo-test-cache-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('inspects every dropped sample, prints a watch line for each, and sums them up', async () => {
    const lines: string[] = [];
    const sources = ['scratch-05.jpg', 'scratch-12.jpg', 'clean-05.jpg', 'clean-10.jpg'].map((f) =>
      join(DEMO_SAMPLES_DIR, f),
    );
    const summary = await runEdgeDemo({
      say: (l) => lines.push(l),
      sources,
      intervalMs: 100,
      root,
      demoCacheDir: cacheDir,
      settleTimeoutMs: 60_000,
    });
    expect(summary.aborted).toBe(false);
    expect(summary.dropped).toBe(4);
    expect(summary.missing).toBe(0);
    expect(summary.quarantined).toBe(0);
    const inspected = summary.inspected.ok + summary.inspected.defect + summary.inspected.unclear;
    expect(inspected).toBe(4);
    // What the messages said is what is on disk, and the camera folder is empty again.
    expect(summary.onDisk).toEqual({ ...summary.inspected, quarantine: 0 });
    expect(await readdir(summary.cameraDir)).toEqual([]);
    for (const f of ['scratch-05.jpg', 'scratch-12.jpg', 'clean-05.jpg', 'clean-10.jpg']) {
      expect(lines.some((l) => / {2}(OK|DEFECT|UNCLEAR)\s+cam-\d{5}-/.test(l) && l.includes(f))).toBe(true);
    }
    expect(lines.some((l) => l.includes('STATUS ONLINE'))).toBe(true);
    const text = formatDemoSummary(summary).join('\n');
    expect(text).toContain('4 image(s) dropped, 4 inspected');
    expect(text).toContain(summary.doneDir);
    expect(text).toContain(summary.quarantineDir);
    // The demo line asks a person about the weaker hits: scratch-05's faint scratch scores between the
    // review threshold and the demo's defect threshold, scratch-12's clear one above it.
    expect(summary.inspected.unclear).toBeGreaterThanOrEqual(1);
    expect(summary.inspected.defect).toBeGreaterThanOrEqual(1);
    // Every unclear and defect image went to the local review store with its message.
    expect(summary.reviewStore).toBe(join(root, 'review-store'));
    expect(summary.uploaded.unclear).toBe(summary.inspected.unclear);
    expect(summary.uploaded.total).toBeGreaterThanOrEqual(summary.inspected.unclear + summary.inspected.defect);
    expect(text).toContain(`review --store ${summary.reviewStore}`);
  });
});
