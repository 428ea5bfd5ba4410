/**
 * `edgeqc watch`'s metrics views: the pure table (metrics-table.ts) on recorded-shape messages, and
 * `--view table` against a real broker (the embedded Aedes of the agent tests) with a real MQTT client.
 */
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createMqtt311Publisher } from '../../src/adapters/mqtt311-publisher.ts';
import { formatMetrics, renderMetricsTable, updateBoard } from '../../src/cli/metrics-table.ts';
import { formatWatchLine, watchCommand } from '../../src/cli/watch-command.ts';
import type { MetricsMessage } from '../../src/contracts/metrics.ts';
import { startRecordingBroker } from '../agent/harness.ts';

const fixture = JSON.parse(
  readFileSync(new URL('../contracts/fixtures/metrics-window.json', import.meta.url), 'utf8'),
) as MetricsMessage;
const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const at = (iso: string) => Date.parse(iso);

/** The fixture for `thing`, published `afterSec` seconds after the fixture's time, with `more` images since the model. */
function message(thing: string, afterSec: number, more = 0, over: Partial<MetricsMessage> = {}): MetricsMessage {
  return {
    ...fixture,
    thingName: thing,
    publishedAt: new Date(at(fixture.publishedAt) + afterSec * 1000).toISOString(),
    sinceModel: { ...fixture.sinceModel, images: fixture.sinceModel.images + more },
    ...over,
  };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('the metrics table', () => {
  it('shows one aligned row per device: model, images/s, window, verdict mix, unclear rate, PSI, p95, age', () => {
    let board = updateBoard(new Map(), message('line-2', 0));
    board = updateBoard(board, message('line-1', 0));
    board = updateBoard(board, message('line-1', 30, 60)); // 60 more images in 30 s
    const drifted = { ...fixture.drift, psi: 0.4123, drifted: true };
    board = updateBoard(board, message('line-2', 30, 15, { drift: drifted }));
    const lines = renderMetricsTable(board, at(fixture.publishedAt) + 35_000);
    expect(lines).toEqual([
      'DEVICE  MODEL                   IMG/S  WINDOW  OK/DEF/UNC  UNCLEAR  DRIFT PSI    P95 INF  AGE',
      'line-1  tag-scratch@0.0.0-demo    2.0      12  58%/33%/8%       8%  0.041        31 ms     5s',
      'line-2  tag-scratch@0.0.0-demo    0.5      12  58%/33%/8%       8%  0.412 DRIFT  31 ms     5s',
    ]);
  });

  it("takes a device's first images/s from its window (images over the window's span)", () => {
    const board = updateBoard(new Map(), fixture); // 12 images over 300 s
    expect(board.get('line-1')?.imagesPerSecond).toBeCloseTo(12 / 300, 12);
  });

  it('restarts images/s after a model swap and ignores an older message than the row', () => {
    let board = updateBoard(new Map(), message('line-1', 10, 100));
    expect(updateBoard(board, message('line-1', 0))).toBe(board);
    const swapped = { ...fixture.model, version: '2.0.0', sha256: 'c'.repeat(64) };
    board = updateBoard(board, message('line-1', 20, 0, { model: swapped, modelSince: '2026-12-07T18:10:15.000Z' }));
    expect(board.get('line-1')?.imagesPerSecond).toBeCloseTo(12 / 300, 12);
    expect(renderMetricsTable(board, at(fixture.publishedAt))[1]).toContain('tag-scratch@2.0.0');
  });

  it('shows "-" for a device without images in its window and a PSI not measured yet', () => {
    const empty = message('line-9', 0, 0, {
      images: 0,
      verdicts: { ok: 0, defect: 0, unclear: 0 },
      unclearRate: 0,
      defectRate: 0,
      drift: { ...fixture.drift, psi: null },
    });
    const [, row] = renderMetricsTable(updateBoard(new Map(), empty), at(fixture.publishedAt));
    expect(row).toMatch(/line-9 .* 0 {2}-\/-\/- +- {2}- /);
  });

  it('says so while no device has published metrics', () => {
    expect(renderMetricsTable(new Map(), 0)).toEqual([
      'no metrics yet (devices publish them every metrics.intervalSeconds)',
    ]);
  });

  it('prints a metrics message as one stream line, and an invalid one as INVALID', () => {
    expect(formatMetrics(fixture)).toBe(
      '18:10:00  line-1  METRICS tag-scratch@0.0.0-demo  window 12 (ok 7, defect 4, unclear 1)  unclear 8% defect 33%  ' +
        'p95 prepare 14 ms inference 31 ms  quarantined 1 errors 0  psi 0.041  since model 40',
    );
    expect(formatWatchLine('edgeqc/line-1/metrics', enc({ ...fixture, unclearRate: 2 }))).toBe(
      '--:--:--  line-1  INVALID metrics: unclearRate: Too big: expected number to be <=1',
    );
  });
});

describe('edgeqc watch --view table', () => {
  it('redraws the table in place from metrics messages, with the newest stream lines below it', async () => {
    const broker = await startRecordingBroker();
    cleanups.push(() => broker.close());
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const running = watchCommand.run(['--url', broker.url, '--view', 'table', '--count', '2'], {
      stdout,
      stderr,
      env: {},
      signal: new AbortController().signal,
    });
    const pub = createMqtt311Publisher({ url: broker.url, clientId: 'line-1' });
    cleanups.push(() => pub.close());
    await pub.connect();
    await expect.poll(() => err, { timeout: 20_000 }).toContain('watching edgeqc/+/');
    await pub.publish({ topic: 'edgeqc/line-1/metrics', payload: enc(fixture), qos: 1 });
    await pub.publish({ topic: 'edgeqc/line-2/metrics', payload: enc(message('line-2', 0)), qos: 1 });
    expect(await running).toBe(0);
    const frames = out.split('\x1b[H\x1b[2J').filter((f) => f.length > 0);
    const last = (frames.at(-1) as string).split('\n');
    expect(last[0]).toMatch(/^DEVICE +MODEL +IMG\/S/);
    expect(last[1]).toMatch(/^line-1 +tag-scratch@0\.0\.0-demo/);
    expect(last[2]).toMatch(/^line-2 +tag-scratch@0\.0\.0-demo/);
    expect(last[4]).toMatch(/line-1 {2}METRICS/);
    expect(last[5]).toMatch(/line-2 {2}METRICS/);
  });

  it('refuses an unknown view, and the table with --json', async () => {
    for (const args of [
      ['--view', 'grid'],
      ['--view', 'table', '--json'],
    ]) {
      let err = '';
      const stderr = new PassThrough().on('data', (d: Buffer) => {
        err += d.toString();
      });
      const code = await watchCommand.run(args, {
        stdout: new PassThrough(),
        stderr,
        env: {},
        signal: new AbortController().signal,
      });
      expect(code).toBe(2);
      expect(err).toContain('expected stream or table (table not with --json)');
    }
  });
});
