/**
 * The synchronous API on a running agent (createAgentRuntime with the real model manager, the signed
 * demo model, the disk outbox and a recording MQTT broker): HTTP and the Lookout for Vision gRPC socket
 * answer with the one served model, publish and archive on request, count in /status, follow a hot swap
 * without a failed request, and StopModel/StartModel stop and resume every path.
 */
import { cp, mkdir, mkdtemp, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageModel } from '@edgeqc/model-component/package';
import { createPemSigner, generateDevKeyPair } from '@edgeqc/model-component/signers';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAgentConfig } from '../../src/config/schema.ts';
import { InspectionSchema } from '../../src/contracts/inspection.ts';
import { silentLogger } from '../../src/log.ts';
import { type AgentRuntime, createAgentRuntime } from '../../src/runtime/agent-runtime.ts';
import { PROJECT_ROOT, type RecordingBroker, SAMPLES, startRecordingBroker, until } from '../agent/harness.ts';
import { freePort } from '../support/mosquitto.ts';

const MODEL_DIR = join(PROJECT_ROOT, 'model-component', 'models', 'tag-scratch');
const PROTO = join(PROJECT_ROOT, 'edge-component', 'proto', 'edge-agent.proto');

let root: string;
let broker: RecordingBroker;
let runtime: AgentRuntime;
let baseUrl: string;
let modelDir: string;
let lfv: grpc.Client & Record<string, (req: unknown, cb: (err: grpc.ServiceError | null, res: never) => void) => void>;
const bundles: Record<string, string> = {};
const keys = generateDevKeyPair('ed25519');

/** A unary gRPC call as a promise. */
const call = <T>(method: string, request: unknown) =>
  new Promise<T>((resolve, reject) => lfv[method]?.(request, (err, res) => (err ? reject(err) : resolve(res as T))));

const sample = (name: string) => readFile(join(SAMPLES, name));

async function post(bytes: Uint8Array, query = ''): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${baseUrl}/v1/inspect${query}`, {
    method: 'POST',
    headers: { 'content-type': 'image/jpeg' },
    body: bytes,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'edgeqc-sync-api-'));
  broker = await startRecordingBroker();
  const signer = createPemSigner(keys.privateKeyPem, { signerName: 'sync-test' });
  const labels = (await readFile(join(MODEL_DIR, 'labels.txt'), 'utf8')).split(/\r?\n/).filter(Boolean);
  for (const version of ['1.0.0', '2.0.0']) {
    const r = await packageModel(
      { signer },
      { modelPath: join(MODEL_DIR, 'model.int8.onnx'), name: 'tag-scratch', version, labels, outDir: join(root, 'p') },
    );
    bundles[version] = r.bundleDir;
  }
  modelDir = join(root, 'model');
  await cp(bundles['1.0.0'] as string, modelDir, { recursive: true });
  await mkdir(join(root, 'camera'), { recursive: true });
  const port = await freePort();
  const socket = join(root, 'lfv.sock');
  runtime = await createAgentRuntime(
    parseAgentConfig({
      thingName: 'sync-1',
      cameraDir: join(root, 'camera'),
      model: { dir: modelDir },
      trustedKeys: [keys.publicKeyPem],
      mqtt: { url: broker.url, version: '3.1.1' },
      inference: { intraOpThreads: 1 },
      statusIntervalSec: 1,
      http: { port },
      lfv: { socket },
    }),
    { log: silentLogger() },
  );
  baseUrl = `http://127.0.0.1:${port}`;
  expect(runtime.sync).toEqual({ httpUrl: baseUrl, lfvSocket: socket });
  const definition = protoLoader.loadSync(PROTO, { keepCase: true, longs: Number, enums: String, defaults: true });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    AWS: { LookoutVision: { EdgeAgent: grpc.ServiceClientConstructor } };
  };
  lfv = new pkg.AWS.LookoutVision.EdgeAgent(`unix://${socket}`, grpc.credentials.createInsecure()) as typeof lfv;
  await until(() => runtime.agent.status().state === 'online', 'the agent online', 60_000);
}, 180_000);

afterAll(async () => {
  lfv?.close();
  await runtime?.stop('test over');
  await broker?.close();
  await rm(root, { recursive: true, force: true });
});

describe('synchronous API on a running agent', () => {
  it('answers POST /v1/inspect with a schema-valid inspection, publishes and archives it on request, and counts it', async () => {
    const before = runtime.agent.status().counters.inspected;
    const plain = await post(await sample('scratch-01.jpg'));
    expect(plain.status).toBe(200);
    const inspection = InspectionSchema.parse(plain.body);
    expect(inspection).toMatchObject({ thingName: 'sync-1', model: { name: 'tag-scratch', version: '1.0.0' } });
    expect(broker.on('sync-1/inspections')).toEqual([]);

    const kept = await post(await sample('clean-01.jpg'), '?publish=true&archive=true&name=line-7.jpg');
    expect(kept.status).toBe(200);
    const keptInspection = InspectionSchema.parse(kept.body);
    await until(
      () => broker.on('sync-1/inspections').some((m) => m.json.messageId === keptInspection.messageId),
      'the published inspection at the broker',
      30_000,
    );
    const archived = await readdir(join(root, 'camera.edgeqc', 'done', keptInspection.verdict));
    expect(archived).toContain('line-7.jpg');
    expect(runtime.agent.status().counters.inspected).toBe(before + 2);
    expect((await fetch(`${baseUrl}/readyz`)).status).toBe(200);
  });

  it('answers DetectAnomalies on the gRPC socket with the same model, inline RGB', async () => {
    const { data, info } = await sharp(await sample('scratch-01.jpg'))
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const described = await call<{ model_description: { status: string; model_component: string } }>('DescribeModel', {
      model_component: 'com.edgeqc.Model.tag-scratch',
    });
    expect(described.model_description.status).toBe('RUNNING');
    const res = await call<{ detect_anomaly_result: { is_anomalous: boolean; confidence: number } }>(
      'DetectAnomalies',
      {
        model_component: 'com.edgeqc.Model.tag-scratch',
        bitmap: { width: info.width, height: info.height, byte_data: data },
      },
    );
    const http = InspectionSchema.parse((await post(await sample('scratch-01.jpg'))).body);
    expect(res.detect_anomaly_result.is_anomalous).toBe(http.verdict === 'defect');
    expect((await stat(join(root, 'lfv.sock'))).mode & 0o777).toBe(0o660);
  });

  it('follows a hot swap during a stream of requests: every request answered, the new model for every request sent after its first answer', async () => {
    const bytes = await sample('scratch-02.jpg');
    /** Each answer with when its request was sent and when the answer came (performance.now()). */
    const answers: { version: string; sentAt: number; doneAt: number }[] = [];
    const failures: unknown[] = [];
    let swapped = false;
    // Two clients, one request at a time each; a client stops after its own first answer from 2.0.0.
    // A request already on its way when the model switched may still be answered by 1.0.0, after the
    // other client's first 2.0.0 answer: that is the old model finishing what it took, not a step back.
    const client = async () => {
      for (;;) {
        const sentAt = performance.now();
        const r = await post(bytes);
        if (r.status !== 200) {
          failures.push(r);
          continue;
        }
        const version = InspectionSchema.parse(r.body).model.version;
        answers.push({ version, sentAt, doneAt: performance.now() });
        if (swapped && version === '2.0.0') return;
        if (answers.length > 2000) throw new Error('the new model never answered');
      }
    };
    const clients = [client(), client()];
    await until(() => answers.length >= 3, 'answers from the first model', 60_000);
    await cp(bundles['2.0.0'] as string, `${modelDir}.new`, { recursive: true });
    await rename(modelDir, `${modelDir}.old`);
    await rename(`${modelDir}.new`, modelDir);
    swapped = true;
    await Promise.all(clients);
    expect(failures).toEqual([]);
    expect(answers.map((a) => a.version)).toContain('1.0.0');
    const firstNew = Math.min(...answers.filter((a) => a.version === '2.0.0').map((a) => a.doneAt));
    expect(answers.filter((a) => a.sentAt > firstNew).map((a) => a.version)).not.toContain('1.0.0');
    const after = await post(bytes);
    expect(after.status).toBe(200);
    expect(InspectionSchema.parse(after.body).model.version).toBe('2.0.0');
  }, 180_000);

  it('StopModel stops every path (HTTP answers 503 SYNC_NO_MODEL, the status says why); StartModel brings it back', async () => {
    const component = { model_component: 'com.edgeqc.Model.tag-scratch' };
    await call('StopModel', component);
    await until(async () => {
      const d = await call<{ model_description: { status: string } }>('DescribeModel', component);
      return d.model_description.status === 'STOPPED';
    }, 'STOPPED');
    const refused = await post(await sample('clean-02.jpg'));
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ error: { code: 'SYNC_NO_MODEL' } });
    expect(runtime.agent.status()).toMatchObject({ state: 'degraded', reason: expect.stringMatching(/StopModel/) });

    await call('StartModel', component);
    await until(
      async () => {
        const d = await call<{ model_description: { status: string } }>('DescribeModel', component);
        return d.model_description.status === 'RUNNING';
      },
      'RUNNING again',
      60_000,
    );
    expect((await post(await sample('clean-02.jpg'))).status).toBe(200);
  }, 120_000);
});
