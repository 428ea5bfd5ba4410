import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ModelIntegrityError } from '../../src/errors.ts';
import { createModelHighWater, MODEL_HIGH_WATER_FILE } from '../../src/model/model-high-water.ts';

const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);
const at = () => new Date(Date.UTC(2026, 11, 7, 12, 0, 0));
const model = (version: string, sha256 = SHA_A, name = 'tag-scratch') => ({ name, version, sha256 });

let stateDir: string;
beforeEach(async () => {
  stateDir = join(await mkdtemp(join(tmpdir(), 'edgeqc-high-water-')), 'state');
});
afterEach(async () => {
  await rm(join(stateDir, '..'), { recursive: true, force: true });
});

async function refusal(p: Promise<unknown>): Promise<ModelIntegrityError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelIntegrityError);
  return err as ModelIntegrityError;
}

describe('model high-water mark', () => {
  it('with no state yet (first install) accepts any version', async () => {
    const hw = createModelHighWater({ stateDir });
    await expect(hw.check(model('0.0.1'), '/bundle')).resolves.toBeUndefined();
    expect(await hw.mark('tag-scratch')).toBeUndefined();
  });

  it('refuses a version below the highest accepted with MODEL_ROLLBACK, naming both versions and the bundle', async () => {
    const hw = createModelHighWater({ stateDir, now: at });
    await hw.record(model('2.0.0'));
    const err = await refusal(hw.check(model('1.9.9', SHA_B), '/gg/artifacts/m/5.0.0'));
    expect(err.code).toBe('MODEL_ROLLBACK');
    expect(err.message).toContain('tag-scratch version 1.9.9 is below version 2.0.0');
    expect(err.message).toContain('/gg/artifacts/m/5.0.0');
    expect(err.message).toContain('2026-12-07T12:00:00.000Z');
  });

  it('accepts the same version with the same model again (a re-deployment), and any higher version', async () => {
    const hw = createModelHighWater({ stateDir });
    await hw.record(model('2.0.0'));
    await expect(hw.check(model('2.0.0'), '/b')).resolves.toBeUndefined();
    await expect(hw.check(model('2.0.1', SHA_B), '/b')).resolves.toBeUndefined();
    await expect(hw.check(model('10.0.0', SHA_B), '/b')).resolves.toBeUndefined();
  });

  it('refuses another model under a version already accepted', async () => {
    const hw = createModelHighWater({ stateDir });
    await hw.record(model('2.0.0', SHA_A));
    const err = await refusal(hw.check(model('2.0.0', SHA_B), '/b'));
    expect(err.code).toBe('MODEL_ROLLBACK');
    expect(err.message).toContain(`has model sha256 ${SHA_B}, but this device accepted that version with ${SHA_A}`);
  });

  it('keeps a mark per model name: another model does not move it', async () => {
    const hw = createModelHighWater({ stateDir });
    await hw.record(model('3.0.0'));
    await hw.record(model('1.0.0', SHA_B, 'other-model'));
    await expect(hw.check(model('1.0.0', SHA_B, 'other-model'), '/b')).resolves.toBeUndefined();
    expect((await refusal(hw.check(model('2.0.0'), '/b'))).code).toBe('MODEL_ROLLBACK');
  });

  it('never lowers the mark: recording a lower version changes nothing', async () => {
    const hw = createModelHighWater({ stateDir });
    await hw.record(model('2.0.0'));
    await hw.record(model('1.0.0', SHA_B));
    expect(await hw.mark('tag-scratch')).toMatchObject({ version: '2.0.0', sha256: SHA_A });
  });

  it('survives a restart: a new instance over the same state folder refuses what the first accepted above', async () => {
    await createModelHighWater({ stateDir }).record(model('2.0.0'));
    const afterRestart = createModelHighWater({ stateDir });
    expect((await refusal(afterRestart.check(model('1.0.0'), '/b'))).code).toBe('MODEL_ROLLBACK');
  });

  it('writes the whole file by rename: valid JSON with its schema, no temporary file left behind', async () => {
    const hw = createModelHighWater({ stateDir, now: at });
    await hw.record(model('1.0.0'));
    await hw.record(model('1.1.0', SHA_B));
    expect(await readdir(stateDir)).toEqual([MODEL_HIGH_WATER_FILE]);
    expect(JSON.parse(await readFile(hw.file, 'utf8'))).toEqual({
      schema: 'edgeqc.model-high-water.v1',
      models: {
        'tag-scratch': {
          version: '1.1.0',
          sha256: SHA_B,
          acceptedAt: '2026-12-07T12:00:00.000Z',
          previous: { version: '1.0.0', sha256: SHA_A },
          last: { version: '1.1.0', sha256: SHA_B },
        },
      },
    });
  });

  it('lets exactly the model served before the mark was raised come back (the undo of a failed rollout), nothing older', async () => {
    const SHA_C = 'c'.repeat(64);
    const hw = createModelHighWater({ stateDir });
    await hw.record(model('1.0.0', SHA_C));
    await hw.record(model('2.0.0', SHA_A));
    await hw.record(model('3.1.0', SHA_B)); // canary passed, then the fleet failed: the previous deployment returns
    await expect(hw.check(model('2.0.0', SHA_A), '/b')).resolves.toBeUndefined();
    await hw.record(model('2.0.0', SHA_A));
    expect(await hw.mark('tag-scratch')).toMatchObject({ version: '3.1.0', last: { version: '2.0.0' } });
    // not another model under that version, not anything older, and the mark stays
    expect((await refusal(hw.check(model('2.0.0', SHA_C), '/b'))).code).toBe('MODEL_ROLLBACK');
    expect((await refusal(hw.check(model('1.0.0', SHA_C), '/b'))).code).toBe('MODEL_ROLLBACK');
    await expect(hw.check(model('3.1.0', SHA_B), '/b')).resolves.toBeUndefined();
    // the next release: the model served until then is the one that may come back
    await hw.record(model('3.2.0', SHA_C));
    expect(await hw.mark('tag-scratch')).toMatchObject({ previous: { version: '2.0.0', sha256: SHA_A } });
    expect((await refusal(hw.check(model('3.1.0', SHA_B), '/b'))).code).toBe('MODEL_ROLLBACK');
    await expect(hw.check(model('2.0.0', SHA_A), '/b')).resolves.toBeUndefined();
  });

  it.each([
    ['torn JSON', '{"schema":"edgeqc.model-high-water.v1","models":{"tag-scr'],
    ['an unknown schema', JSON.stringify({ schema: 'something-else', models: {} })],
    ['a mark without a version', JSON.stringify({ schema: 'edgeqc.model-high-water.v1', models: { x: {} } })],
  ])(
    'a corrupt file (%s) refuses every model with MODEL_STATE_CORRUPT, naming the file, and is left as it is',
    async (_, text) => {
      const hw = createModelHighWater({ stateDir });
      await hw.record(model('1.0.0'));
      await writeFile(hw.file, text);
      const err = await refusal(hw.check(model('9.0.0'), '/b'));
      expect(err.code).toBe('MODEL_STATE_CORRUPT');
      expect(err.message).toContain(hw.file);
      expect((await refusal(hw.record(model('9.0.0')))).code).toBe('MODEL_STATE_CORRUPT');
      expect(await readFile(hw.file, 'utf8')).toBe(text);
    },
  );

  it('a corrupt file removed by an operator: the next model passes as a first install', async () => {
    const hw = createModelHighWater({ stateDir });
    await hw.record(model('1.0.0'));
    await writeFile(hw.file, 'garbage');
    expect((await refusal(hw.check(model('1.0.0'), '/b'))).code).toBe('MODEL_STATE_CORRUPT');
    await rm(hw.file);
    await expect(hw.check(model('1.0.0'), '/b')).resolves.toBeUndefined();
  });

  it('a mark that cannot be written is MODEL_STATE_WRITE_FAILED, naming the file', async () => {
    await writeFile(join(stateDir, '..', 'not-a-folder'), 'x');
    const hw = createModelHighWater({ stateDir: join(stateDir, '..', 'not-a-folder') });
    const err = await refusal(hw.record(model('1.0.0')));
    expect(err.code).toBe('MODEL_STATE_WRITE_FAILED');
    expect(err.message).toContain(hw.file);
  });
});
