import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../../src/adapters/local-artifact-store.ts';
import { TamperingArtifactStore } from '../../src/adapters/tampering-artifact-store.ts';
import { compactPath } from '../../src/rollout-demo/rollout-scenario.ts';

const b64 = (b: Uint8Array) => createHash('sha256').update(b).digest('base64');

describe('tampering artifact store (the demo attacker)', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'edgeqc-tamper-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('swaps model.onnx of a spoiled version and makes the recipe digest match the swapped bytes; others pass untouched', async () => {
    const inner = new LocalArtifactStore(root);
    const store = new TamperingArtifactStore(inner);
    store.spoil.add('com.edgeqc.Model.m/3.0.0');
    const model = new Uint8Array([1, 2, 3, 4, 5]);
    const uri = (v: string) => `s3://bucket-1/components/com.edgeqc.Model.m/${v}/model.onnx`;
    const recipe = (v: string) =>
      new TextEncoder().encode(JSON.stringify({ Manifests: [{ Artifacts: [{ Uri: uri(v), Digest: b64(model) }] }] }));
    await store.put(uri('2.0.0'), model);
    await store.put(uri('3.0.0'), model);
    await store.put('s3://bucket-1/recipes/com.edgeqc.Model.m-2.0.0.json', recipe('2.0.0'));
    await store.put('s3://bucket-1/recipes/com.edgeqc.Model.m-3.0.0.json', recipe('3.0.0'));
    expect(await inner.get(uri('2.0.0'))).toEqual(Buffer.from(model));
    const swapped = await inner.get(uri('3.0.0'));
    expect(Buffer.from(swapped)).not.toEqual(Buffer.from(model));
    const digestIn = async (v: string) =>
      JSON.parse(new TextDecoder().decode(await inner.get(`s3://bucket-1/recipes/com.edgeqc.Model.m-${v}.json`)))
        .Manifests[0].Artifacts[0].Digest;
    expect(await digestIn('3.0.0')).toBe(b64(swapped));
    expect(await digestIn('2.0.0')).toBe(b64(model));
    expect(store.spoiled).toEqual([uri('3.0.0')]);
  });
});

describe('compactPath', () => {
  it('folds Wait/Choice loops into a repeated unit', () => {
    expect(compactPath(['A', 'V', 'C', 'W', 'V', 'C', 'W', 'V', 'C', 'D', 'D'])).toBe(
      'A -> (V -> C -> W) x2 -> V -> C -> (D) x2',
    );
  });
});
