/**
 * The camera simulator of the simulated devices (the bash service the user data installs), run for
 * real against a temporary camera folder, with a stand-in `aws` CLI that "syncs" local sample files.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cameraSimulatorScript, deviceUserDataCommands } from '../lib/constructs/device-user-data.ts';

let child: ChildProcess | undefined;
let root: string | undefined;

afterEach(() => {
  child?.kill('SIGKILL');
  child = undefined;
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
});

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the simulated camera', () => {
  it('is valid bash, as is the whole user data', () => {
    const userData = deviceUserDataCommands({
      region: 'eu-west-1',
      thingName: 'edgeqc-device-0',
      thingGroup: 'canary',
      baseThingGroup: 'edgeqc-devices',
      thingPolicyName: 'EdgeqcGreengrassCorePolicy',
      tesRoleName: 'role',
      tesRoleAliasName: 'alias',
      instanceRoleName: 'device-0-role',
      bootstrapPolicyPrefix: 'EdgeqcDeviceBootstrap-',
      bootstrapPolicyDigest: '0123456789abcdef',
      samplesUri: 's3://bucket/samples/',
      cameraDir: '/var/lib/edgeqc/camera',
      shotIntervalSeconds: 5,
      nucleusUrl: 'https://example.invalid/nucleus.zip',
    }).join('\n');
    for (const [name, text] of [
      ['user data', `#!/bin/bash\n${userData}\n`],
      ['camera simulator', cameraSimulatorScript()],
    ] as const) {
      const r = spawnSync('bash', ['-n'], { input: text, encoding: 'utf8' });
      expect(r.stderr, name).toBe('');
      expect(r.status, name).toBe(0);
    }
  });

  it('drops the synced sample images into the camera folder one by one, each complete, under a new name', async () => {
    root = mkdtempSync(join(tmpdir(), 'edgeqc-camera-sim-'));
    const dirs = {
      bin: join(root, 'bin'),
      s3: join(root, 's3'),
      samples: join(root, 'samples'),
      camera: join(root, 'camera'),
    };
    for (const d of Object.values(dirs)) spawnSync('mkdir', ['-p', d]);
    const images = { 'a.jpg': Buffer.from('jpeg-a'.repeat(1000)), 'b.png': Buffer.from('png-b'.repeat(1000)) };
    for (const [name, bytes] of Object.entries(images)) writeFileSync(join(dirs.s3, name), bytes);
    writeFileSync(join(dirs.s3, 'notes.txt'), 'not an image');
    // Stand-in for `aws s3 sync --only-show-errors <uri> <dir>`: copies the fake bucket.
    writeFileSync(join(dirs.bin, 'aws'), `#!/bin/bash\n[ "$1 $2" = "s3 sync" ] && cp "${dirs.s3}"/* "$5"/\n`);
    chmodSync(join(dirs.bin, 'aws'), 0o755);
    const script = join(root, 'edgeqc-camera-sim');
    writeFileSync(script, cameraSimulatorScript());
    chmodSync(script, 0o755);

    child = spawn(script, [], {
      env: {
        PATH: `${dirs.bin}:${process.env.PATH}`,
        EDGEQC_SAMPLES_URI: 's3://bucket/samples/',
        EDGEQC_SAMPLES_DIR: dirs.samples,
        EDGEQC_CAMERA_DIR: dirs.camera,
        EDGEQC_SHOT_INTERVAL_SECONDS: '0.05',
      },
      stdio: 'ignore',
    });
    const shots = await until('four shots', () => {
      const files = readdirSync(dirs.camera).filter((f) => f.startsWith('shot-'));
      return files.length >= 4 ? files : undefined;
    });
    child.kill('SIGKILL');
    for (const f of shots) {
      expect(f).toMatch(/^shot-\d+-\d+\.(jpg|png)$/);
      const bytes = readFileSync(join(dirs.camera, f));
      expect(bytes.equals(f.endsWith('.jpg') ? images['a.jpg'] : images['b.png'])).toBe(true);
    }
    expect(shots.some((f) => f.endsWith('.jpg'))).toBe(true);
    expect(shots.some((f) => f.endsWith('.png'))).toBe(true);
    expect(shots.some((f) => f.endsWith('.txt'))).toBe(false);
  });
});
