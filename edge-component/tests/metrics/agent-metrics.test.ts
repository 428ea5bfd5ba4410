/**
 * The model metrics of the agent wired as on a device (createAgentRuntime: real camera folder,
 * onnxruntime with the INT8 demo model in a signed bundle, disk outbox) publishing to an embedded
 * broker (Aedes) over MQTT 3.1.1, with the Prometheus endpoint on and scraped over real HTTP.
 */
import { cp, mkdir, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageModel } from '@edgeqc/model-component/package';
import { createPemSigner, generateDevKeyPair } from '@edgeqc/model-component/signers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAgentConfig } from '../../src/config/schema.ts';
import { MetricsSchema } from '../../src/contracts/metrics.ts';
import { StatusSchema } from '../../src/contracts/status.ts';
import type { DemoBundle } from '../../src/demo-model/demo-bundle.ts';
import { silentLogger } from '../../src/log.ts';
import { createAgentRuntime } from '../../src/runtime/agent-runtime.ts';
import {
  drop,
  PROJECT_ROOT,
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

describe('the model metrics across a hot swap', () => {
  it('start afresh under the new model version: modelSince, window and since-model counts', async () => {
    const keys = generateDevKeyPair('ed25519');
    const signer = createPemSigner(keys.privateKeyPem, { signerName: 'metrics-swap-test' });
    const models = join(PROJECT_ROOT, 'model-component', 'models', 'tag-scratch');
    const labels = (await readFile(join(models, 'labels.txt'), 'utf8')).split(/\r?\n/).filter(Boolean);
    const packaged: Record<string, string> = {};
    for (const version of ['1.0.0', '1.1.0']) {
      const modelPath = join(models, 'model.int8.onnx');
      const outDir = join(root, 'swap-packaged');
      packaged[version] = (
        await packageModel({ signer }, { modelPath, name: 'tag-scratch', version, labels, outDir })
      ).bundleDir;
    }
    const name = 'line-swap';
    const modelDir = join(root, name, 'model');
    const cameraDir = join(root, name, 'camera');
    await mkdir(cameraDir, { recursive: true });
    await cp(packaged['1.0.0'] as string, modelDir, { recursive: true });
    const runtime = await createAgentRuntime(
      parseAgentConfig({
        thingName: name,
        cameraDir,
        workDir: join(root, name, 'work'),
        model: { dir: modelDir },
        trustedKeys: [keys.publicKeyPem],
        mqtt: { url: broker.url, version: '3.1.1' },
        inference: { intraOpThreads: 1, inFlight: 2 },
        metrics: { intervalSeconds: 1 },
      }),
      { log: silentLogger() },
    );
    const metrics = () => broker.on(`edgeqc/${name}/metrics`).map((m) => MetricsSchema.parse(m.json));
    const latestOf = (version: string) => metrics().findLast((m) => m.model.version === version);
    try {
      for (let i = 0; i < 3; i += 1) await drop(cameraDir, `a-${i}.jpg`, stamped(bases[i] as Uint8Array, `a-${i}`));
      await until(() => latestOf('1.0.0')?.sinceModel.images === 3, 'three images counted under 1.0.0');
      // As a deployment does: the new version's folder appears, then takes the old one's place.
      await cp(packaged['1.1.0'] as string, `${modelDir}.new`, { recursive: true });
      await rename(modelDir, `${modelDir}.old`);
      await rename(`${modelDir}.new`, modelDir);
      await until(() => latestOf('1.1.0') !== undefined, 'metrics under 1.1.0', 60_000);
      for (let i = 0; i < 2; i += 1) await drop(cameraDir, `b-${i}.jpg`, stamped(bases[i] as Uint8Array, `b-${i}`));
      await until(() => latestOf('1.1.0')?.sinceModel.images === 2, 'two images counted under 1.1.0');
      const before = latestOf('1.0.0');
      const after = latestOf('1.1.0');
      expect(after).toMatchObject({ images: 2, sinceModel: { images: 2 }, drift: { psi: null } });
      expect(Date.parse(after?.modelSince as string)).toBeGreaterThan(Date.parse(before?.modelSince as string));
      expect(Date.parse(after?.window.start as string)).toBeGreaterThanOrEqual(Date.parse(after?.modelSince as string));
    } finally {
      await runtime.stop('test over');
    }
  });
});
