import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeZip } from '@edgeqc/edge-component/packaging';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fetchArtifacts } from '../../src/device/artifact-fetch.ts';
import { deviceLayout } from '../../src/device/device-layout.ts';

const digest = (b: Uint8Array) => createHash('sha256').update(b).digest('base64');
const enc = (s: string) => new TextEncoder().encode(s);
const URI = 's3://test-bucket/components/com.test.Data/1.0.0/bundle.zip';

describe('fetchArtifacts: an archive is unpacked once per component version', () => {
  let root: string;
  let zip: Uint8Array;
  let gets: number;
  const layout = () => deviceLayout(join(root, 'device'));
  const inner = () => join(layout().decompressed('com.test.Data', '1.0.0'), 'bundle', 'inner.txt');
  const fetch = () =>
    fetchArtifacts(
      {
        get: async () => {
          gets += 1;
          return zip;
        },
      },
      layout(),
      'com.test.Data',
      '1.0.0',
      [{ Uri: URI, Digest: digest(zip), Unarchive: 'ZIP' }],
    );

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'edgeqc-artifact-fetch-'));
    await writeZip(join(root, 'bundle.zip'), [{ name: 'inner.txt', data: enc('inner 1.0.0') }]);
    zip = await readFile(join(root, 'bundle.zip'));
    gets = 0;
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('keeps the unpacked folder when the same bytes are deployed again', async () => {
    await fetch();
    expect(await readFile(inner(), 'utf8')).toBe('inner 1.0.0');
    // A file the device wrote beside the unpacked one shows whether the folder was unpacked afresh.
    const beside = join(layout().decompressed('com.test.Data', '1.0.0'), 'bundle', 'kept.txt');
    await writeFile(beside, 'kept');
    await fetch();
    expect(gets).toBe(1);
    expect(await readFile(beside, 'utf8')).toBe('kept');
    expect(await readFile(inner(), 'utf8')).toBe('inner 1.0.0');
  });

  it('unpacks again when the folder is gone or the unpacking never finished (no marker)', async () => {
    await fetch();
    await rm(join(layout().decompressed('com.test.Data', '1.0.0'), 'bundle'), { recursive: true });
    await fetch();
    expect(await readFile(inner(), 'utf8')).toBe('inner 1.0.0');
    await rm(join(layout().artifacts('com.test.Data', '1.0.0'), 'bundle.zip.unpacked'));
    await writeFile(inner(), 'half written');
    await fetch();
    expect(await readFile(inner(), 'utf8')).toBe('inner 1.0.0');
  });

  it('fetches and unpacks again when the artifact on the device no longer matches its digest', async () => {
    await fetch();
    await writeFile(join(layout().artifacts('com.test.Data', '1.0.0'), 'bundle.zip'), enc('damaged'));
    await writeFile(inner(), 'stale');
    await fetch();
    expect(gets).toBe(2);
    expect(await readFile(inner(), 'utf8')).toBe('inner 1.0.0');
  });
});
