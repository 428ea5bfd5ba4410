/** publish-components' input checks (nothing is uploaded); the uploads run against moto in sim/tests/aws. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishComponentsCommand } from '../../src/cli/publish-components-command.ts';
import { captureIo } from '../helpers/io.ts';
import { OFFLINE_AWS_ENV } from '../helpers/offline-aws-env.ts';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgeqc-pc-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('publish-components', () => {
  it('names a folder that is not packaging output', async () => {
    const io = captureIo({ ...OFFLINE_AWS_ENV });
    expect(await publishComponentsCommand.run([join(dir, 'nope')], io)).toBe(2);
    expect(io.err()).toContain('recipes cannot be read');
  });
});
