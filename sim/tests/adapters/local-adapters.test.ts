import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../../src/adapters/local-artifact-store.ts';
import { LocalComponentCatalog } from '../../src/adapters/local-component-catalog.ts';
import { LocalModelRegistry } from '../../src/adapters/local-model-registry.ts';

const enc = (s: string) => new TextEncoder().encode(s);

describe('local adapters', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'edgeqc-adapters-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('artifact store: same bytes again is a no-op, different bytes under the same key are refused', async () => {
    const store = new LocalArtifactStore(root);
    const uri = 's3://edgeqc-artifacts/components/c/1.0.0/model.onnx';
    expect((await store.put(uri, enc('a'))).reused).toBe(false);
    expect((await store.put(uri, enc('a'))).reused).toBe(true);
    await expect(store.put(uri, enc('b'))).rejects.toMatchObject({ code: 'ARTIFACT_IMMUTABLE' });
    expect(new TextDecoder().decode(await store.get(uri))).toBe('a');
    expect(() => store.pathOf('s3://edgeqc-artifacts/../x')).toThrow(/outside the store/);
  });

  it('registry: lists newest first, filtered by approval status, and tells listeners about approvals', async () => {
    const registry = new LocalModelRegistry(root);
    const approved: number[] = [];
    registry.onApproved((m) => approved.push(m.version));
    await registry.approve((await registry.register({ group: 'tags', modelDataUrl: 's3://m/1' })).arn);
    const second = await registry.register({ group: 'tags', modelDataUrl: 's3://m/2' });
    const third = await registry.register({ group: 'tags', modelDataUrl: 's3://m/3' });
    await registry.setApprovalStatus(third.arn, 'Rejected');
    expect(second.approvalStatus).toBe('PendingManualApproval');
    expect((await registry.list('tags')).map((m) => m.version)).toEqual([3, 2, 1]);
    expect((await registry.list('tags', { approvalStatus: 'Approved' })).map((m) => m.version)).toEqual([1]);
    await registry.approve(second.arn);
    expect((await registry.list('tags', { approvalStatus: 'Approved' })).map((m) => m.version)).toEqual([2, 1]);
    expect((await registry.list('tags', { maxResults: 1 })).map((m) => m.version)).toEqual([3]);
    expect(approved).toEqual([1, 2]);
    expect(await registry.list('empty')).toEqual([]);
    await expect(registry.describe(registry.arnOf('tags', 9))).rejects.toMatchObject({ name: 'ModelNotFoundError' });
  });

  it('catalog: fills missing digests from the store, fails a version whose artifact is missing, keeps versions immutable', async () => {
    const store = new LocalArtifactStore(join(root, 'store'));
    const catalog = new LocalComponentCatalog(join(root, 'catalog'), store);
    const uri = 's3://edgeqc-artifacts/components/com.x/1.0.0/a.txt';
    await store.put(uri, enc('hello'));
    const recipe = (version: string, u: string) =>
      enc(
        JSON.stringify({
          RecipeFormatVersion: '2020-01-25',
          ComponentName: 'com.x',
          ComponentVersion: version,
          Manifests: [{ Artifacts: [{ Uri: u }] }],
        }),
      );
    const made = await catalog.createComponentVersion(recipe('1.0.0', uri));
    expect(made.state).toBe('DEPLOYABLE');
    const stored = (await catalog.recipe('com.x', '1.0.0')) as {
      Manifests: Array<{ Artifacts: Array<{ Digest: string }> }>;
    };
    expect(stored.Manifests[0]!.Artifacts[0]!.Digest).toBe(createHash('sha256').update('hello').digest('base64'));
    expect((await catalog.createComponentVersion(recipe('1.0.0', uri))).state).toBe('DEPLOYABLE');
    const missing = await catalog.createComponentVersion(recipe('2.0.0', uri.replace('a.txt', 'b.txt')));
    expect(missing.state).toBe('FAILED');
    expect(await catalog.versions('com.x')).toEqual(['1.0.0']);
    expect(await catalog.describeComponent(made.arn)).toMatchObject({ componentVersion: '1.0.0' });
  });
});
