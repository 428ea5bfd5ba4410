import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { inspectCommand } from '../../../src/cli/inspect-command.ts';
import { ErrorEventSchema, InspectionSchema } from '../../../src/contracts/index.ts';
import { captureIo } from '../../cli/capture-io.ts';
import { FAKE_SERVED } from '../fake-inspection-service.ts';
import { JPEG, type RunningApi, startApi } from './http-harness.ts';

const TOKEN = 'cli-client-token-0123456789';
const env = { EDGEQC_THING_NAME: 'cli-client' };

describe('edgeqc inspect --url (a running HTTP API over a fake inspection service)', () => {
  let api: RunningApi;
  let dir: string;
  let files: string[];
  beforeAll(async () => {
    api = await startApi({ authToken: TOKEN });
    dir = await mkdtemp(join(tmpdir(), 'edgeqc-inspect-url-'));
    files = [join(dir, 'a.jpg'), join(dir, 'b.png')];
    for (const f of files) await writeFile(f, JPEG);
  });
  afterAll(async () => {
    await api.server.close();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    api.fake.calls.length = 0;
    api.fake.answer('ok');
    api.fake.setServed(FAKE_SERVED);
  });

  it('prints the readable line per image, names the served model on stderr, and exits 0', async () => {
    api.fake.answer('defect');
    const c = captureIo(env);
    expect(await inspectCommand.run(['--url', api.url, '--token', TOKEN, dir], c.io)).toBe(0);
    const lines = c.out().trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^DEFECT\s+a\.jpg\s+best 0\.80\s+\[scratch 0\.80 @50,25 20x10; dent 0\.40 @0,0 10x10\]\s+7 ms$/,
    );
    expect(lines[1]).toMatch(/^DEFECT\s+b\.png\s+best 0\.80/);
    expect(c.err()).toContain('model fake-detector@1.2.3 int8');
    expect(c.err()).toContain('2 file(s): ok 0, defect 2, unclear 0, not inspected 0');
    expect(api.fake.calls.map((call) => call.image.name)).toEqual(['a.jpg', 'b.png']);
  });

  it('prints schema-valid inspection messages with --json, and asks to publish and archive only when told', async () => {
    const plain = captureIo(env);
    expect(await inspectCommand.run(['--url', api.url, '--token', TOKEN, '--json', files[0] as string], plain.io)).toBe(
      0,
    );
    expect(InspectionSchema.parse(JSON.parse(plain.out())).image.file).toBe('a.jpg');
    expect(api.fake.calls[0]?.options).toEqual({ publish: false, archive: false });
    const both = captureIo(env);
    const argv = ['--url', `${api.url}/`, '--publish', '--archive', files[0] as string];
    expect(await inspectCommand.run(argv, captureIo({ ...env, EDGEQC_HTTP_TOKEN: TOKEN }).io)).toBe(0);
    expect(await inspectCommand.run([...argv, '--token', TOKEN], both.io)).toBe(0);
    expect(api.fake.calls.slice(1).map((call) => call.options)).toEqual([
      { publish: true, archive: true },
      { publish: true, archive: true },
    ]);
  });

  it('prints the code and message of a refused image as a failed file and exits 1', async () => {
    api.fake.rejectWith('IMAGE_TRUNCATED');
    const c = captureIo(env);
    expect(await inspectCommand.run(['--url', api.url, '--token', TOKEN, files[0] as string], c.io)).toBe(1);
    expect(c.out()).toMatch(
      /^ERROR\s+a\.jpg\s+IMAGE_TRUNCATED\s+fake service refuses with IMAGE_TRUNCATED \(HTTP 422\)\n$/,
    );
    const json = captureIo(env);
    expect(await inspectCommand.run(['--url', api.url, '--token', TOKEN, '--json', files[0] as string], json.io)).toBe(
      1,
    );
    expect(ErrorEventSchema.parse(JSON.parse(json.out()))).toMatchObject({
      thingName: 'cli-client',
      kind: 'quarantine',
      code: 'IMAGE_TRUNCATED',
      file: 'a.jpg',
    });
  });

  it('still inspects the other files when one cannot be read or is refused, and exits 1', async () => {
    const c = captureIo(env);
    const missing = join(dir, 'missing.jpg');
    expect(await inspectCommand.run(['--url', api.url, '--token', TOKEN, missing, ...files], c.io)).toBe(1);
    const lines = c.out().trim().split('\n');
    expect(lines[0]).toMatch(/^ERROR\s+missing\.jpg\s+IMAGE_UNREADABLE/);
    expect(lines.slice(1).every((l) => l.startsWith('OK '))).toBe(true);
    api.fake.rejectWith('SYNC_QUEUE_FULL');
    const busy = captureIo(env);
    expect(await inspectCommand.run(['--url', api.url, '--token', TOKEN, files[0] as string], busy.io)).toBe(1);
    expect(busy.out()).toMatch(/SYNC_QUEUE_FULL .*\(HTTP 429\)/);
  });

  it('stops at once, exit 1, when the token is refused or the agent cannot be reached', async () => {
    const wrong = captureIo(env);
    expect(await inspectCommand.run(['--url', api.url, '--token', `${TOKEN}x`, dir], wrong.io)).toBe(1);
    expect(wrong.err()).toMatch(/HTTP_UNAUTHORIZED.*\(HTTP 401\)/);
    expect(wrong.out()).toBe('');
    const gone = await startApi();
    await gone.server.close();
    const down = captureIo(env);
    expect(await inspectCommand.run(['--url', gone.url, dir], down.io)).toBe(1);
    expect(down.err()).toContain(`cannot reach ${gone.url}`);
    expect(api.fake.calls).toHaveLength(0);
  });

  it('warns when no model serves yet and asks anyway', async () => {
    api.fake.setServed(null);
    api.fake.rejectWith('SYNC_NO_MODEL');
    const c = captureIo(env);
    expect(await inspectCommand.run(['--url', api.url, '--token', TOKEN, files[0] as string], c.io)).toBe(1);
    expect(c.err()).toContain('not ready (SYNC_NO_MODEL');
    expect(c.out()).toMatch(/SYNC_NO_MODEL .*\(HTTP 503\)/);
  });

  it('reports options that do not go together as usage errors (exit 2)', async () => {
    for (const [argv, message] of [
      [['--publish', dir], '--publish needs --url'],
      [['--token', TOKEN, dir], '--token needs --url'],
      [['--url', api.url, '--model', dir, dir], '--model does not go with --url'],
      [['--url', api.url, '--precision', 'fp32', dir], '--precision does not go with --url'],
      [['--url', 'ftp://host:1', dir], 'expected http://host:port'],
      [['--url', `${api.url}/v1/inspect`, dir], 'expected http://host:port'],
    ] as const) {
      const c = captureIo(env);
      expect(await inspectCommand.run([...argv], c.io), message).toBe(2);
      expect(c.err()).toContain(message);
    }
    expect(api.fake.calls).toHaveLength(0);
  });
});
