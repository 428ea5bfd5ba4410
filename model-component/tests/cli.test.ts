import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commands } from '../src/cli/index.ts';
import { parseManifestBytes } from '../src/manifest.ts';
import { decodeSignature, parsePublicKeyPem, trustedKey, verifyManifestSignature } from '../src/sign/index.ts';
import { DEMO_INT8 } from './helpers/fixtures.ts';

function io() {
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
  return { io: { stdout, stderr, env: {}, signal: new AbortController().signal }, out: () => out, err: () => err };
}
const command = (name: string) => {
  const c = commands.find((x) => x.name === name);
  if (!c) throw new Error(`no command ${name}`);
  return c;
};

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgeqc-cli-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('edgeqc keygen + package-model', () => {
  it('makes an ECDSA key pair and packages a bundle that verifies with its public key', async () => {
    const k = io();
    expect(await command('keygen').run(['--out', join(dir, 'keys'), '--type', 'ecdsa-p256'], k.io)).toBe(0);
    expect((await stat(join(dir, 'keys', 'edgeqc-signing.key'))).mode & 0o777).toBe(0o600);
    expect(k.out()).toMatch(/key id\s+sha256:[0-9a-f]{64}/);

    const p = io();
    const code = await command('package-model').run(
      [
        '--model',
        DEMO_INT8,
        '--name',
        'tag-scratch',
        '--version',
        '1.0.0',
        '--out',
        join(dir, 'out'),
        '--key',
        join(dir, 'keys', 'edgeqc-signing.key'),
        '--defect',
        '0.7',
      ],
      p.io,
    );
    expect(p.err()).toBe('');
    expect(code).toBe(0);
    expect(p.out()).toMatch(/packaged com\.edgeqc\.Model\.tag-scratch 1\.0\.0 \(int8, opset 17\)/);
    const bundle = join(dir, 'out', 'artifacts', 'com.edgeqc.Model.tag-scratch', '1.0.0');
    const bytes = await readFile(join(bundle, 'manifest.json'));
    expect(parseManifestBytes(bytes).thresholds.defect).toBe(0.7);
    const key = trustedKey(parsePublicKeyPem(await readFile(join(dir, 'keys', 'edgeqc-signing.pub'), 'utf8')));
    expect(
      verifyManifestSignature(bytes, decodeSignature(await readFile(join(bundle, 'manifest.sig'))), [key]).algorithm,
    ).toBe('ECDSA_SHA_256');
  });

  it('refuses to overwrite an existing key without --force', async () => {
    expect(await command('keygen').run(['--out', dir], io().io)).toBe(0);
    const again = io();
    expect(await command('keygen').run(['--out', dir], again.io)).toBe(2);
    expect(again.err()).toMatch(/exists; pass --force/);
  });

  it('reports a missing flag, a bad threshold and a missing key with exit code 2', async () => {
    const a = io();
    expect(await command('package-model').run(['--model', DEMO_INT8], a.io)).toBe(2);
    expect(a.err()).toMatch(/--name is required/);
    const b = io();
    const base = ['--model', DEMO_INT8, '--name', 'x', '--version', '1.0.0', '--out', dir];
    expect(await command('package-model').run([...base, '--key', join(dir, 'none.key')], b.io)).toBe(2);
    expect(b.err()).toMatch(/none\.key cannot be read/);
    const c = io();
    expect(await command('package-model').run([...base, '--iou', '2'], c.io)).toBe(2);
    expect(c.err()).toMatch(/--iou '2': expected a number from 0 to 1/);
  });
});
