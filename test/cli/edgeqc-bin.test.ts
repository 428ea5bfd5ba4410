/**
 * The `edgeqc` bin (scripts/edgeqc-bin.js, the root package.json "bin") started as a user's shell starts
 * it: with the shell's own `node` first on PATH (on these machines the system Node 20) and no
 * node_modules/.bin on it. It must run the dispatcher on the Node 24 of the `node` npm package.
 * Starts real processes: the bin, the shell's node, npx (offline), and a stand-in dispatcher.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'scripts', 'edgeqc-bin.js');
const PROJECT_NODE = join(ROOT, 'node_modules', 'node', 'bin', 'node');
const PROJECT_NODE_VERSION = (
  JSON.parse(readFileSync(join(ROOT, 'node_modules', 'node', 'package.json'), 'utf8')) as { version: string }
).version;

/** PATH as a shell has it: without the node_modules/.bin folders npm and npx put first. */
const SHELL_PATH = (process.env.PATH ?? '')
  .split(delimiter)
  .filter((dir) => dir !== '' && !dir.includes('node_modules'))
  .join(delimiter);
const SHELL_NODE = SHELL_PATH.split(delimiter)
  .map((dir) => join(dir, 'node'))
  .find((file) => existsSync(file));
/** A shell's environment: its PATH, none of the npm_* variables npm sets for scripts. */
const SHELL_ENV = Object.fromEntries([
  ...Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_') && k !== 'PATH'),
  ['PATH', SHELL_PATH],
]);

describe.skipIf(SHELL_NODE === undefined)(`edgeqc from a shell whose node is ${SHELL_NODE ?? 'missing'}`, async () => {
  const shellNodeVersion = SHELL_NODE ? (await run(SHELL_NODE, ['--version'])).stdout.trim() : '';

  it(`--version runs on the project's Node ${PROJECT_NODE_VERSION}, started as an executable or by the shell's node`, async () => {
    const expected = `edgeqc 0.1.0 on Node v${PROJECT_NODE_VERSION} (${PROJECT_NODE})\n`;
    expect((await run(BIN, ['--version'], { env: SHELL_ENV, cwd: tmpdir() })).stdout).toBe(expected);
    expect((await run(SHELL_NODE as string, [BIN, '--version'], { env: SHELL_ENV })).stdout).toBe(expected);
    expect(shellNodeVersion).toMatch(/^v\d+\./);
  });

  it('--help lists the commands of every workspace, none unavailable', async () => {
    const { stdout } = await run(BIN, ['--help'], { env: SHELL_ENV, cwd: tmpdir() });
    for (const command of ['agent', 'inspect', 'watch', 'package-agent', 'package-model', 'keygen', 'publish-model']) {
      expect(stdout).toMatch(new RegExp(`^  ${command} +\\S`, 'm'));
    }
    expect(stdout).not.toContain('not available');
  });

  it('passes the dispatcher exit status and stderr through', async () => {
    const failed = await run(BIN, ['no-such-command'], { env: SHELL_ENV }).catch((err: unknown) => err);
    expect(failed).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown command 'no-such-command'") });
  });

  const npx = SHELL_NODE ? join(dirname(SHELL_NODE), 'npx') : '';
  it.skipIf(!existsSync(npx))('is what `npx edgeqc` runs in the checkout (offline: nothing is fetched)', async () => {
    const env = { ...SHELL_ENV, npm_config_offline: 'true', npm_config_update_notifier: 'false' };
    const { stdout } = await run(npx, ['edgeqc', '--version'], { env, cwd: join(ROOT, 'model-component') });
    expect(stdout).toContain(`on Node v${PROJECT_NODE_VERSION}`);
    expect((await run(npx, ['edgeqc', '--help'], { env, cwd: ROOT })).stdout).toMatch(/^ {2}inspect +\S/m);
  });

  describe('with a stand-in dispatcher beside a copy of the bin', () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgeqc-bin-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    copyFileSync(BIN, join(dir, 'edgeqc-bin.js'));
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(
      join(dir, 'edgeqc.ts'),
      [
        'const argv: string[] = process.argv.slice(2);',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the stand-in dispatcher's source text
        "process.stdout.write(`ready ${process.version} ${argv.join(' ')}\\n`);",
        'const keepAlive = setInterval(() => {}, 1000);',
        'setTimeout(() => process.exit(9), 30_000).unref(); // never outlives a failed test for long',
        "process.on('SIGTERM', () => {",
        "  process.stdout.write('stopping in order\\n');",
        '  clearInterval(keepAlive);',
        '  process.exitCode = 3;',
        '});',
        '',
      ].join('\n'),
    );
    const start = async (): Promise<{ child: ChildProcess; out: () => string }> => {
      const child = spawn(SHELL_NODE as string, [join(dir, 'edgeqc-bin.js'), 'a b', '--c'], { env: SHELL_ENV });
      let out = '';
      child.stdout?.on('data', (b: Buffer) => {
        out += b.toString();
      });
      const deadline = Date.now() + 60_000;
      while (!out.includes('ready') && child.exitCode === null && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      return { child, out: () => out };
    };

    it('passes a SIGTERM sent to the bin alone on to the dispatcher, and its exit status back', async () => {
      const { child, out } = await start();
      expect(out()).toBe(`ready v${PROJECT_NODE_VERSION} a b --c\n`);
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      expect(out()).toContain('stopping in order');
      expect(code).toBe(3);
    });
  });
});
