import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gdkRecipeValidator } from '@edgeqc/model-component/gdk-schema';
import { RecipeSchema } from '@edgeqc/model-component/recipe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PackageAgentResult, packageAgent } from '../../src/packaging/package-agent.ts';
import { hostPlatform, type Platform } from '../../src/packaging/platform.ts';
import { readZipEntries, unzipToDir } from '../../src/packaging/zip.ts';
import { drop, smallBases, stamped, startRecordingBroker, testBundle, until } from '../agent/harness.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const platform = hostPlatform() as Platform;
const gdk = gdkRecipeValidator();
const AGENT_CONFIG = { cameraDir: '/var/lib/edgeqc/camera' };

let out: string;
let clean: string;
let result: PackageAgentResult;

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'edgeqc-agent-pkg-'));
  clean = await mkdtemp(join(tmpdir(), 'edgeqc-agent-clean-'));
  result = await packageAgent(
    { validateConfig: (raw) => raw as Record<string, unknown> },
    {
      platforms: [platform],
      outDir: out,
      projectRoot: ROOT,
      version: '0.0.1-test',
      agentConfig: AGENT_CONFIG,
      fetch: false,
    },
  );
}, 180_000);
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
  await rm(clean, { recursive: true, force: true });
});

const agentZip = () => result.artifacts.find((a) => a.component === 'com.edgeqc.Inference');
const runtimeZip = () => result.artifacts.find((a) => a.component === 'com.edgeqc.NodeRuntime');

describe(`package-agent (${platform})`, () => {
  it('carries only the target platform native binaries and stays a few tens of MB', async () => {
    const zip = agentZip();
    if (!zip) throw new Error('no agent archive');
    const names = readZipEntries(await readFile(zip.path)).map((e) => e.name);
    expect(names).toContain('main.js');
    expect(names).toContain('onnx-session-worker.js');
    expect(names).toContain('native/aws-crt-nodejs.node');
    const natives = names.filter((n) => /\.(node|so[.\d]*)$/.test(n));
    expect(natives.length).toBeGreaterThanOrEqual(3);
    const other = platform === 'linux-x64' ? /arm64|aarch64|darwin|win32/ : /x64|x86_64|darwin|win32/;
    expect(natives.filter((n) => other.test(n))).toEqual([]);
    expect(names.some((n) => n.startsWith('node_modules/adm-zip/'))).toBe(false);
    expect(zip.sizeBytes).toBeLessThan(60 * 1024 * 1024);
  });

  it('starts from a clean folder with its own Node, no npm, no PATH and no project node_modules', async () => {
    const agent = agentZip();
    const runtime = runtimeZip();
    if (!agent || !runtime) throw new Error('missing archive');
    await unzipToDir(agent.path, join(clean, 'agent'));
    await unzipToDir(runtime.path, join(clean, 'runtime'));
    const node = join(clean, 'runtime', 'bin', 'node');
    const env = { HOME: clean };
    const check = await run(node, [join(clean, 'agent', 'native-check.js')], { cwd: clean, env });
    expect(JSON.parse(check.stdout)).toMatchObject({
      node: `v${process.versions.node}`,
      platform,
      onnxruntime: 'ok',
      awsCrt: 'ok',
    });
    const main = await run(node, [join(clean, 'agent', 'main.js'), 'agent', '--help'], { cwd: clean, env });
    expect(main.stdout).toMatch(/usage: edgeqc agent/);
    expect(main.stdout).toContain('--greengrass');
    // The bundled agent loads its native modules and validates a configuration before running.
    const invalid = await run(
      node,
      [join(clean, 'agent', 'main.js'), 'agent', '--validate-config', '--camera-dir', 'cam', '--thing-name', 't'],
      { cwd: clean, env },
    ).then(
      (ok) => ({ code: 0, stderr: ok.stderr }),
      (err: { code: number; stderr: string }) => err,
    );
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/trustedKeys/);
  });

  it('inspects an image with its session in the worker thread beside main.js, and refuses the model without it', async () => {
    // Runs after the clean-folder test above, which unpacked the archives into `clean`.
    const node = join(clean, 'runtime', 'bin', 'node');
    const [bundle, broker, bases] = await Promise.all([testBundle(), startRecordingBroker(), smallBases(96)]);
    const keyFile = join(clean, 'trusted.pem');
    await writeFile(keyFile, bundle.publicKeyPem);
    const withoutWorker = join(clean, 'agent-without-worker');
    await cp(join(clean, 'agent'), withoutWorker, { recursive: true });
    await rm(join(withoutWorker, 'onnx-session-worker.js'));
    const start = (agentDir: string, thing: string) => {
      const child = spawn(
        node,
        [
          join(agentDir, 'main.js'),
          'agent',
          ...['--thing-name', thing, '--camera-dir', join(clean, thing, 'camera')],
          ...['--model', bundle.dir, '--trusted-key', keyFile, '--mqtt-url', broker.url, '--mqtt-version', '3.1.1'],
          ...['--inference-intra-op-threads', '1', '--inference-detector-thread', 'worker'],
          ...['--status-interval-sec', '1'],
        ],
        { cwd: clean, env: { HOME: clean }, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      child.stderr?.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString('utf8')).slice(-20_000);
      });
      return { child, stderr: () => stderr };
    };
    const packaged = start(join(clean, 'agent'), 'packaged');
    const broken = start(withoutWorker, 'no-worker');
    try {
      await mkdir(join(clean, 'packaged', 'camera'), { recursive: true });
      await drop(join(clean, 'packaged', 'camera'), 'one.jpg', stamped(bases[0] as Uint8Array, 'packaged'));
      await until(
        () => broker.on('edgeqc/packaged/inspections').length === 1,
        `an inspection from the packaged agent (its log: ${packaged.stderr().slice(-2000)})`,
        90_000,
      );
      expect(broker.on('edgeqc/packaged/inspections')[0]?.json).toMatchObject({
        image: { file: 'one.jpg' },
        model: { name: 'tag-scratch' },
      });
      await until(
        () => broker.on('edgeqc/no-worker/errors').some((m) => m.json.code === 'DETECTOR_WORKER_FAILED'),
        `the model refused without the worker file (its log: ${broken.stderr().slice(-2000)})`,
        90_000,
      );
      expect(broker.on('edgeqc/no-worker/inspections')).toEqual([]);
    } finally {
      packaged.child.kill('SIGTERM');
      broken.child.kill('SIGTERM');
      await broker.close();
    }
  }, 180_000);

  it('renders recipes whose digests equal the archives and which validate against both schemas', async () => {
    for (const [path, zip] of [
      [result.inferenceRecipePath, agentZip()],
      [result.runtimeRecipePath, runtimeZip()],
    ] as const) {
      const recipe = RecipeSchema.parse(JSON.parse(await readFile(path as string, 'utf8')));
      expect(gdk(recipe).errors).toEqual([]);
      const digest = createHash('sha256')
        .update(await readFile(zip?.path as string))
        .digest('base64');
      expect(recipe.Manifests.map((m) => m.Artifacts[0]?.Digest)).toEqual([digest]);
    }
  });

  it('is a no-op when the same version is packaged again from the same sources', async () => {
    const again = await packageAgent(
      { validateConfig: (raw) => raw as Record<string, unknown> },
      {
        platforms: [platform],
        outDir: out,
        projectRoot: ROOT,
        version: '0.0.1-test',
        agentConfig: AGENT_CONFIG,
        fetch: false,
        withRuntime: false,
      },
    );
    expect(again.artifacts.map((a) => [a.reused, a.sha256])).toEqual([[true, agentZip()?.sha256]]);
  });
});
