/**
 * `edgeqc bench --sync` with tiny numbers, for real: the raw and single-image references in this
 * process, then the agent in its own process (the signed demo bundle, the embedded broker, its HTTP API
 * on a loopback port and its Lookout for Vision socket), a folder flood, and HTTP, gRPC inline and gRPC
 * shared memory at one client. The report must have every row with finite figures and every target
 * with a ratio; no figure is compared with a limit here (the benchmark is run by hand for that).
 */
import { describe, expect, it } from 'vitest';
import { benchCommand } from '../../src/bench/bench-command.ts';
import type { SyncBenchReport } from '../../src/bench/sync/run-sync-bench.ts';
import { formatSyncReport, type TargetCheck } from '../../src/bench/sync/sync-report.ts';
import { captureIo } from '../support/capture-io.ts';

const finite = (v: unknown) => typeof v === 'number' && Number.isFinite(v);

describe('edgeqc bench --sync', () => {
  it('refuses a client count of 0 naming the option, before anything runs', async () => {
    const c = captureIo();
    expect(await benchCommand.run(['--sync', '--clients', '1,0'], c.io)).toBe(2);
    expect(c.err()).toContain('edgeqc bench --sync: --clients "0": expected a whole number >= 1');
    expect(c.err()).toMatch(/usage: edgeqc bench --sync/);
  });

  it('measures every API at one client beside the references and prints every row and target', async () => {
    const c = captureIo();
    const argv = ['--sync', '--clients', '1', '--requests', '4', '--folder-images', '4'];
    const code = await benchCommand.run([...argv, '--raw-runs', '3', '--single-rounds', '1', '--json'], c.io);
    expect(code, c.err()).toBe(0);
    const report = JSON.parse(c.out()) as SyncBenchReport & { targets: TargetCheck[] };

    expect(report.raw.imagesPerSecond).toSatisfy(finite);
    for (const way of [report.singleImage.encoded, report.singleImage.rgb]) {
      // One round: every sample once, each its own reference.
      expect(way.count).toBe(report.samples);
      expect(way.perImage).toHaveLength(report.samples);
      expect([way.p50, way.p95, way.meanMs, ...way.perImage]).toSatisfy((v: unknown[]) => v.every(finite));
      // Its own spread: with one run per sample, every run is its sample's median.
      expect([way.relative.count, way.relative.p50, way.relative.p95]).toEqual([report.samples, 1, 1]);
    }
    expect(report.folder.map((f) => [f.inspected, f.errors, f.missing])).toEqual([
      [4, 0, 0],
      [4, 0, 0],
    ]);
    expect(report.folderImagesPerSecond).toSatisfy(finite);
    expect(report.runs.map((r) => [r.api, r.clients, r.ok, r.refused, r.errors, r.firstError])).toEqual([
      ['http', 1, 4, 0, 0, undefined],
      ['grpc-inline', 1, 4, 0, 0, undefined],
      ['grpc-shm', 1, 4, 0, 0, undefined],
    ]);
    for (const r of report.runs) {
      expect(r.answered).toHaveLength(4);
      expect(r.relative.count).toBe(4);
      const figures = [r.latency.p50, r.latency.p95, r.imagesPerSecond, r.agentCpuMsPerImage, r.relative.p95];
      expect([...figures, r.rssMaxBytes]).toSatisfy((v: unknown[]) => v.every(finite));
    }
    expect([report.rssBytes.start, report.rssBytes.max, report.rssBytes.end]).toSatisfy((v: unknown[]) =>
      v.every(finite),
    );
    expect(report.agentExitCode).toBe(0);
    expect(report.targets.map((t) => t.name)).toEqual([
      'http: p95 at 1 client / single-image inspect',
      'grpc-inline: p95 at 1 client / single-image inspect',
      'grpc-shm: p95 at 1 client / single-image inspect',
      'http: images/s at 1 clients / folder',
      'grpc-inline: images/s at 1 clients / folder',
      'grpc-shm: images/s at 1 clients / folder',
      'errors other than queue full',
      'agent RSS max (MiB)',
    ]);
    expect(report.targets.map((t) => t.value)).toSatisfy((v: unknown[]) => v.every(finite));

    const text = formatSyncReport(report).join('\n');
    for (const row of [
      /raw session\.run .*: [\d.]+ images\/s/,
      /encoded \(read, decode, letterbox, inference\): p50 [\d.]+.*its own rel p50 \/ p95 1\.00 \/ 1\.00/,
    ]) {
      expect(text).toMatch(row);
    }
    for (const api of ['http', 'grpc-inline', 'grpc-shm']) {
      expect(text).toMatch(new RegExp(`^${api} +1 +[\\d.]+ +[\\d.]+ +[\\d.]+ +4 +0 +0 `, 'm'));
    }
    expect(text).toMatch(/agent RSS start \/ max \/ end: \d+ \/ \d+ \/ \d+ MiB; exit code 0/);
    expect(text.match(/\((target [<>]= [\d.]+)\) +(met|MISSED)$/gm)).toHaveLength(8);
  }, 180_000);
});
