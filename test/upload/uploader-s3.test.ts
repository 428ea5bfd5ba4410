/**
 * The uploader against a real S3 API (moto_server, `@edgeqc/sim/moto`, a versioned bucket so that
 * every write of a key shows as a version) behind a TCP proxy that cuts the network mid-upload, goes
 * down and comes back slow:
 *   - in-process: an upload cut half-way is tried again and lands once; nothing is lost;
 *   - the real agent binary (demo model, embedded broker) killed with SIGKILL while its queue is half
 *     sent, then started again: every image and message is in the bucket, each written exactly once.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { Inspection } from '@edgeqc/edge-component/contracts';
import { createS3ObjectStore, createUploader, openUploadQueue } from '@edgeqc/edge-component/upload';
import { type MotoServer, startMotoServer } from '@edgeqc/sim/moto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AgentProcess,
  deviceArgs,
  type RecordingBroker,
  smallBases,
  spawnAgent,
  stamped,
  startRecordingBroker,
  testBundle,
  until,
} from '../../edge-component/tests/agent/harness.ts';
import { putsPerKey, startTestProxy, type TestProxy } from './tcp-proxy.ts';

let moto: MotoServer;
let s3: S3Client;
let root: string;
const silent = pino({ level: 'silent' });

beforeAll(async () => {
  moto = await startMotoServer({ region: 'eu-west-1' });
  s3 = new S3Client({ ...moto.config, forcePathStyle: true });
  root = await mkdtemp(join(tmpdir(), 'edgeqc-upload-s3-'));
}, 60_000);
afterAll(async () => {
  s3?.destroy();
  await moto?.stop();
  await rm(root, { recursive: true, force: true });
});

async function versionedBucket(name: string): Promise<void> {
  await s3.send(
    new CreateBucketCommand({ Bucket: name, CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }),
  );
  await s3.send(new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: 'Enabled' } }));
}

/** Every version in the bucket, per key. */
async function versionsPerKey(bucket: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
  for (const v of page.Versions ?? []) out.set(v.Key as string, (out.get(v.Key as string) ?? 0) + 1);
  return out;
}

const bodyOf = async (bucket: string, key: string) =>
  new Uint8Array(
    await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToByteArray(),
  );
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const motoAddress = () => ({ host: '127.0.0.1', port: Number(new URL(moto.endpoint).port) });

describe('the uploader against S3 (moto) with the network cut', () => {
  let proxy: TestProxy;
  afterAll(async () => proxy?.close());

  it('an upload cut half-way is tried again after the outage and lands exactly once; nothing is lost', async () => {
    const bucket = 'cut-mid-upload';
    await versionedBucket(bucket);
    proxy = await startTestProxy(motoAddress());
    const queue = await openUploadQueue({
      dir: join(root, 'cut', 'upload'),
      maxItems: 100,
      maxBytes: 50e6,
      log: silent,
    });
    const client = new S3Client({ ...moto.config, endpoint: proxy.url, forcePathStyle: true, maxAttempts: 1 });
    const uploader = createUploader({
      queue,
      store: createS3ObjectStore({ bucket, client }),
      prefix: 'inspections',
      okSampleRate: 0,
      caps: { perMinute: 100, perHour: 100, perDay: 100 },
      retry: { minMs: 50, maxMs: 200 },
      timeoutMs: 10_000,
      log: silent,
    });
    const images = Array.from({ length: 4 }, (_, i) => {
      const bytes = new Uint8Array(200_000).map((_, j) => (j * 31 + i * 7) % 251);
      bytes.set([0xff, 0xd8], 0);
      return bytes;
    });
    const inspections = images.map(
      (bytes, i) =>
        ({
          schema: 'edgeqc.inspection.v1',
          messageId: sha256(bytes),
          thingName: 'line-7',
          capturedAt: '2026-12-07T08:00:00.000Z',
          model: { version: '2.0.0' },
          verdict: i % 2 === 0 ? 'unclear' : 'defect',
        }) as unknown as Inspection,
    );
    for (const [i, inspection] of inspections.entries()) {
      expect(await uploader.offer({ inspection, image: { bytes: images[i] as Uint8Array, format: 'jpeg' } })).toBe(
        'queued',
      );
    }
    proxy.cutMidUpload(60_000);
    uploader.start();
    await until(() => proxy.cut, 'the cut mid-upload', 20_000);
    // The network stays gone while the uploader tries again a few times, then comes back.
    await until(() => proxy.refused >= 3, 'retries during the outage', 20_000);
    expect(uploader.stats().pending).toBe(4);
    proxy.up();
    expect(await uploader.drained(30_000)).toBe(true);
    await uploader.close();
    client.destroy();

    const versions = await versionsPerKey(bucket);
    expect(versions.size).toBe(8);
    for (const [key, count] of versions) expect(count, key).toBe(1);
    for (const [i, inspection] of inspections.entries()) {
      const folder = `inspections/line-7/2026/12/07/${inspection.verdict}`;
      expect(sha256(await bodyOf(bucket, `${folder}/${inspection.messageId}.jpg`))).toBe(
        sha256(images[i] as Uint8Array),
      );
      const head = await s3.send(
        new HeadObjectCommand({ Bucket: bucket, Key: `${folder}/${inspection.messageId}.json` }),
      );
      expect(head.Metadata).toEqual({ thing: 'line-7', verdict: inspection.verdict, 'model-version': '2.0.0' });
      expect(head.ContentType).toBe('application/json');
    }
    // The first image's PUT was sent twice (cut, then again); the store holds it once.
    const puts = putsPerKey(proxy.requests, bucket);
    expect([...puts.values()].some((n) => n >= 2)).toBe(true);
  }, 90_000);
});

describe('the agent binary with uploads on, killed mid-queue and started again', () => {
  let broker: RecordingBroker;
  let proxy: TestProxy;
  let agent: AgentProcess | undefined;
  afterAll(async () => {
    if (agent && agent.child.exitCode === null) agent.child.kill('SIGKILL');
    await proxy?.close();
    await broker?.close();
  });

  it('uploads every image and message once: nothing lost, nothing written twice', async () => {
    const bucket = 'agent-kill';
    await versionedBucket(bucket);
    const [bundle, bases] = await Promise.all([testBundle(), smallBases(96)]);
    broker = await startRecordingBroker();
    proxy = await startTestProxy(motoAddress());
    proxy.down(); // uploads queue up on disk while the network is gone
    const keyFile = join(root, 'trusted.pem');
    await writeFile(keyFile, bundle.publicKeyPem);
    const name = 'upload-kill';
    const camera = join(root, name, 'camera');
    const work = join(root, name, 'work');
    const args = deviceArgs({ name, camera, work, modelDir: bundle.dir, keyFile, brokerUrl: broker.url }, [
      ...['--upload-enabled', '--upload-s3-bucket', bucket, '--upload-s3-endpoint', proxy.url],
      ...['--upload-ok-sample-rate', '1', '--upload-retry-min-ms', '100', '--upload-retry-max-ms', '300'],
    ]);
    const env = {
      AWS_ACCESS_KEY_ID: moto.env.AWS_ACCESS_KEY_ID as string,
      AWS_SECRET_ACCESS_KEY: moto.env.AWS_SECRET_ACCESS_KEY as string,
      AWS_REGION: 'eu-west-1',
    };
    agent = spawnAgent(args, env);
    const count = 6;
    await mkdir(camera, { recursive: true });
    for (let i = 0; i < count; i++) {
      await writeFile(join(camera, `img-${i}.jpg`), stamped(bases[i % bases.length] as Uint8Array, `upload-${i}`));
    }
    const items = async () =>
      (await readdir(join(work, 'upload', 'items')).catch(() => [])).filter((f) => f.endsWith('.item'));
    await until(async () => (await items()).length === count, `${count} items queued`, 90_000);

    // The network comes back slow; the agent is killed once part of the queue is in the bucket.
    proxy.up({ delayMs: 400 });
    const messages = async () => [...(await versionsPerKey(bucket)).keys()].filter((k) => k.endsWith('.json'));
    await until(async () => (await messages()).length >= 2, 'two inspections uploaded', 60_000);
    agent.child.kill('SIGKILL');
    await agent.exited;
    const leftAfterKill = (await items()).length;
    expect(leftAfterKill).toBeGreaterThan(0);
    expect(leftAfterKill).toBeLessThan(count);

    proxy.up();
    agent = spawnAgent(args, env);
    await until(async () => (await messages()).length === count, 'every inspection uploaded after the restart', 90_000);
    await until(async () => (await items()).length === 0, 'the queue empty', 30_000);
    agent.child.kill('SIGKILL'); // nothing left to keep: the queue is empty
    await agent.exited;

    const versions = await versionsPerKey(bucket);
    expect(versions.size).toBe(2 * count);
    for (const [key, n] of versions) expect(n, `${key} written once`).toBe(1);
    for (const key of await messages()) {
      const message = JSON.parse(new TextDecoder().decode(await bodyOf(bucket, key))) as Inspection;
      expect(key).toMatch(
        new RegExp(`^inspections/${name}/\\d{4}/\\d{2}/\\d{2}/${message.verdict}/${message.messageId}\\.json$`),
      );
      const image = await bodyOf(bucket, key.replace(/\.json$/, '.jpg'));
      expect(sha256(image)).toBe(message.image.sha256);
    }
    // At most the one PUT in flight at the kill was sent again (and S3 kept the first).
    const repeated = [...putsPerKey(proxy.requests, bucket).values()].filter((n) => n > 1);
    expect(repeated.length).toBeLessThanOrEqual(1);
  }, 240_000);
});
