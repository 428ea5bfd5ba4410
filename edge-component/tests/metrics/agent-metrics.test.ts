/**
 * The model metrics of the agent wired as on a device (createAgentRuntime: real camera folder,
 * onnxruntime with the INT8 demo model in a signed bundle, disk outbox) publishing to an embedded
 * broker (Aedes) over MQTT 3.1.1, with the Prometheus endpoint on and scraped over real HTTP.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAgentConfig } from '../../src/config/schema.ts';
import { MetricsSchema } from '../../src/contracts/metrics.ts';
import { StatusSchema } from '../../src/contracts/status.ts';
import type { DemoBundle } from '../../src/demo-model/demo-bundle.ts';
import { silentLogger } from '../../src/log.ts';
import { createAgentRuntime } from '../../src/runtime/agent-runtime.ts';
import {
  drop,
  type RecordingBroker,
  smallBases,
  stamped,
  startRecordingBroker,
  testBundle,
  until,
} from '../agent/harness.ts';

let bundle: DemoBundle;
let broker: RecordingBroker;
let bases: Uint8Array[];
let root: string;

beforeAll(async () => {
  [bundle, broker, bases] = await Promise.all([testBundle(), startRecordingBroker(), smallBases(160)]);
  root = await mkdtemp(join(tmpdir(), 'edgeqc-agent-metrics-'));
}, 120_000);
afterAll(async () => {
  await broker?.close();
  await rm(root, { recursive: true, force: true });
});

/** A TCP port free on loopback right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('the agent publishing its model metrics', () => {
  it('publishes schema-valid metrics of the serving model on /metrics, in /status, and to Prometheus', async () => {
    const name = 'line-metrics';
    const cameraDir = join(root, name, 'camera');
    await mkdir(cameraDir, { recursive: true });
    const promPort = await freePort();
    const config = parseAgentConfig({
      thingName: name,
      cameraDir,
      workDir: join(root, name, 'work'),
      model: { dir: bundle.dir },
      trustedKeys: [bundle.publicKeyPem],
      mqtt: { url: broker.url, version: '3.1.1' },
      inference: { intraOpThreads: 1, inFlight: 2 },
      statusIntervalSec: 1,
      metrics: { intervalSeconds: 1, windowImages: 50, drift: { baselineImages: 10 }, prometheus: { port: promPort } },
    });
    const runtime = await createAgentRuntime(config, { log: silentLogger() });
    const metrics = () => broker.on(`edgeqc/${name}/metrics`);
    try {
      const names = bases.map((_, i) => `part-${i}.jpg`);
      for (const [i, n] of names.entries()) await drop(cameraDir, n, stamped(bases[i] as Uint8Array, n));
      await drop(cameraDir, 'empty.jpg', new Uint8Array());
      const settled = () => {
        const last = metrics().at(-1)?.json;
        const since = last?.sinceModel as { images: number; quarantined: number } | undefined;
        return since?.images === names.length && since.quarantined === 1;
      };
      await until(settled, `metrics counting ${names.length} inspections and a quarantine`);

      for (const m of metrics()) expect(MetricsSchema.safeParse(m.json).error).toBeUndefined();
      expect(metrics().every((m) => !m.retain)).toBe(true);
      const last = MetricsSchema.parse(metrics().at(-1)?.json);
      expect(last).toMatchObject({
        thingName: name,
        model: { sha256: bundle.manifest.model.sha256, version: bundle.manifest.version },
        images: names.length,
        quarantined: 1,
        errors: 0,
        window: { maxImages: 50 },
        drift: { baselineImages: 10, limit: 0.25 },
      });
      const v = last.verdicts;
      expect(v.ok + v.defect + v.unclear).toBe(names.length);
      expect(last.bestScore.counts.reduce((a, b) => a + b, 0)).toBe(names.length);
      expect(last.unclearRate).toBeCloseTo(v.unclear / names.length, 12);
      expect(last.latencyMs.inference.p95).toBeGreaterThan(0);
      expect(last.latencyMs.inference.p95).toBeGreaterThanOrEqual(last.latencyMs.inference.p50);
      expect(new Set(metrics().map((m) => m.json.messageId)).size).toBe(metrics().length);

      await until(
        () =>
          broker
            .on(`edgeqc/${name}/status`)
            .some((s) => (s.json.metrics as { sinceModel?: number })?.sinceModel === names.length),
        'the status summary',
      );
      const status = StatusSchema.parse(
        broker.on(`edgeqc/${name}/status`).findLast((s) => s.json.metrics !== undefined)?.json,
      );
      expect(status.metrics).toMatchObject({ modelVersion: bundle.manifest.version, sinceModel: names.length });
      expect(runtime.agent.status().metrics?.modelVersion).toBe(bundle.manifest.version);

      const scrape = await fetch(`http://127.0.0.1:${promPort}/metrics`);
      expect(scrape.status).toBe(200);
      expect(scrape.headers.get('content-type')).toContain('text/plain');
      const text = await scrape.text();
      const labels = `model="${bundle.manifest.name}",version="${bundle.manifest.version}"`;
      expect(text).toContain(`edgeqc_best_score_count{${labels}} ${names.length}`);
      expect(text).toContain(`edgeqc_best_score_bucket{le="1",${labels}} ${names.length}`);
      expect(text).toMatch(new RegExp(`edgeqc_inference_seconds_bucket\\{le="\\+Inf",${labels}\\} ${names.length}`));
      expect(text).toContain(`edgeqc_model_images{${labels}} ${names.length}`);
      expect(text).toContain(`edgeqc_window_quarantined{${labels}} 1`);
      expect((await fetch(`http://127.0.0.1:${promPort}/other`)).status).toBe(404);
    } finally {
      await runtime.stop('test over');
    }
    await expect(fetch(`http://127.0.0.1:${promPort}/metrics`)).rejects.toThrow();
  });
});
