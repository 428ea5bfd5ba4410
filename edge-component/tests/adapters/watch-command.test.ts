// Tests of src/cli/watch-command.ts (kept beside the MQTT adapter tests it depends on).
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createMqtt311Publisher } from '../../src/adapters/mqtt311-publisher.ts';
import { formatWatchLine, watchCommand } from '../../src/cli/watch-command.ts';
import type { ErrorEvent, Inspection, Status } from '../../src/contracts/index.ts';
import { startMosquitto } from '../support/mosquitto.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const sha = (c: string) => c.repeat(64);
const model = { name: 'tag-scratch', version: '1.2.0', sha256: sha('a'), precision: 'int8' as const };
const inspection: Inspection = {
  schema: 'edgeqc.inspection.v1',
  messageId: sha('b'),
  thingName: 'dev-1',
  image: { file: 'tag-0001.jpg', sha256: sha('c'), width: 1280, height: 960 },
  capturedAt: '2026-11-23T01:00:00.000Z',
  inspectedAt: '2026-11-23T01:00:01.000Z',
  model,
  verdict: 'defect',
  thresholds: { confidence: 0.25, iou: 0.7, review: 0.3, defect: 0.5 },
  detections: [
    {
      label: 'scratch',
      classId: 0,
      confidence: 0.91,
      box: { x: 120.4, y: 45, width: 80, height: 30 },
      boxNormalized: { x: 0.094, y: 0.047, width: 0.0625, height: 0.03125 },
    },
  ],
  timingsMs: { decode: 5, preprocess: 6, inference: 40, postprocess: 1, total: 52.4 },
};
const status: Status = {
  schema: 'edgeqc.status.v1',
  thingName: 'dev-1',
  state: 'online',
  at: '2026-11-23T01:00:05.000Z',
  agentVersion: '0.1.0',
  model,
  selfTest: { passed: true, modelSha256: sha('a'), cases: 4, failures: [] },
  rates: { imagesPerSecond: 4.84 },
  latencyMs: { p50: 41, p95: 60 },
  queueDepth: 3,
  outbox: { pending: 0, capacity: 10000, dropped: 0 },
  counters: { inspected: 120, ok: 100, defect: 15, unclear: 5, quarantined: 2, duplicates: 1, published: 120 },
  lastError: null,
};
const errorEvent: ErrorEvent = {
  schema: 'edgeqc.error.v1',
  thingName: 'dev-2',
  at: '2026-11-23T01:00:06.000Z',
  kind: 'quarantine',
  code: 'IMAGE_TRUNCATED',
  message: 'JPEG ends early',
  file: 'bad.jpg',
};
const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

describe('watch output', () => {
  it('prints verdict, boxes, model and timing for an inspection', () => {
    expect(formatWatchLine('edgeqc/dev-1/inspections', enc(inspection))).toBe(
      '01:00:01  dev-1  DEFECT   tag-0001.jpg  [scratch 0.91 @120,45 80x30]  model tag-scratch@1.2.0 int8  52 ms',
    );
  });

  it('prints state, model, rate, latency, queue and counters for a status', () => {
    const line = formatWatchLine('edgeqc/dev-1/status', enc(status));
    expect(line).toContain('STATUS ONLINE');
    expect(line).toContain('model tag-scratch@1.2.0 int8 sha aaaaaaaaaaaa');
    expect(line).toContain('4.8 img/s');
    expect(line).toContain('p50 41 ms p95 60 ms');
    expect(line).toContain('inspected 120 (ok 100, defect 15, unclear 5) quarantined 2');
  });

  it('names the first problem of a message that breaks the contract', () => {
    expect(formatWatchLine('edgeqc/dev-1/inspections', enc({ ...inspection, verdict: 'maybe' }))).toMatch(
      /INVALID inspection: verdict: /,
    );
    expect(formatWatchLine('edgeqc/dev-1/errors', new TextEncoder().encode('{oops'))).toMatch(
      /INVALID errors message: not JSON/,
    );
  });
});

describe('edgeqc watch against a real broker (Mosquitto)', () => {
  it('prints one line per inspection, status and error of every device, and stops after --count', async () => {
    const broker = await startMosquitto();
    cleanups.push(() => broker.stop());
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    let err = '';
    stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const ac = new AbortController();
    const running = watchCommand.run(['--url', broker.url, '--count', '3'], {
      stdout,
      stderr,
      env: {},
      signal: ac.signal,
    });
    const pub = createMqtt311Publisher({ url: broker.url, clientId: 'dev-1' });
    cleanups.push(() => pub.close());
    await pub.connect();
    // watch says so on stderr once its subscription is acknowledged.
    await expect.poll(() => err, { timeout: 20_000 }).toContain('watching edgeqc/+/');
    await pub.publish({ topic: 'edgeqc/dev-1/status', payload: enc(status), qos: 1, retain: true });
    await pub.publish({ topic: 'edgeqc/dev-1/other', payload: enc({}), qos: 1 });
    await pub.publish({ topic: 'edgeqc/dev-1/inspections', payload: enc(inspection), qos: 1 });
    await pub.publish({ topic: 'edgeqc/dev-2/errors', payload: enc(errorEvent), qos: 1 });
    expect(await running).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/dev-1 {2}STATUS ONLINE/);
    expect(lines[1]).toMatch(/dev-1 {2}DEFECT/);
    expect(lines[2]).toBe('01:00:06  dev-2  ERROR quarantine IMAGE_TRUNCATED  bad.jpg  JPEG ends early');
  });

  it('rejects a bad --count with the value and what is allowed', async () => {
    const stderr = new PassThrough();
    let err = '';
    stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const code = await watchCommand.run(['--count', 'lots'], {
      stdout: new PassThrough(),
      stderr,
      env: {},
      signal: new AbortController().signal,
    });
    expect(code).toBe(2);
    expect(err).toContain('--count "lots": expected a whole number >= 1');
  });
});
