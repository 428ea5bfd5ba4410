import { cp, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ModelIntegrityError } from '../../src/errors.ts';
import {
  createModelManager,
  type ModelManager,
  type ModelManagerDeps,
  type ModelManagerEvent,
  type ModelManagerOptions,
} from '../../src/model/model-manager.ts';
import { createBundleDirWatcher } from '../../src/model/watch-bundle-dir.ts';
import type { ImagePreparer } from '../../src/ports.ts';
import { GOOD_VERSION, makeSignedBundles, OLDER_VERSION, type SignedBundles } from '../integrity/signed-bundles.ts';
import { makeTamperedBundles, type TamperCase } from '../packaging/tampered-bundles.ts';
import { createFakeLoader, type FakeLoader, passingSelfTests } from './fake-detector.ts';

let b: SignedBundles;
let cases: TamperCase[];
let n = 0;
const managers: ModelManager[] = [];
const preparer = {} as ImagePreparer;

beforeAll(async () => {
  b = await makeSignedBundles();
  cases = await makeTamperedBundles(
    { good: b.good, other: b.other, older: b.older, stranger: b.stranger },
    join(b.root, 'tampered'),
  );
}, 60_000);
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.close()));
});
afterAll(async () => {
  await rm(b.root, { recursive: true, force: true });
});

/** A fresh model folder holding a copy of `src` (or nothing). */
async function modelDir(src?: string): Promise<string> {
  const dir = join(b.root, 'serving', `m${n++}`, 'model');
  if (src) await cp(src, dir, { recursive: true });
  else await mkdir(join(dir, '..'), { recursive: true });
  return dir;
}

/** Replaces the folder's content in one rename (as a deployment moving a new bundle into place). */
async function moveIn(src: string, dir: string): Promise<void> {
  const staged = `${dir}.staged-${n++}`;
  await cp(src, staged, { recursive: true });
  await rm(dir, { recursive: true, force: true });
  await rename(staged, dir);
}

function setup(
  dir: string | undefined,
  extra: Partial<ModelManagerOptions & ModelManagerDeps> = {},
): {
  manager: ModelManager;
  loader: FakeLoader;
  events: ModelManagerEvent[];
  next: (type: ModelManagerEvent['type']) => Promise<ModelManagerEvent>;
} {
  const loader = createFakeLoader();
  const events: ModelManagerEvent[] = [];
  const waiters: Array<{ type: string; resolve: (e: ModelManagerEvent) => void }> = [];
  const manager = createModelManager({
    dir,
    trustedKeys: [b.ed25519.publicKeyPem],
    detector: { intraOpThreads: 1, interOpThreads: 1 },
    loadDetector: loader.load,
    runSelfTests: passingSelfTests,
    preparer,
    watchDir: createBundleDirWatcher({ debounceMs: 150 }),
    retireGraceMs: 0,
    onEvent: (e) => {
      events.push(e);
      const i = waiters.findIndex((w) => w.type === e.type);
      if (i >= 0) waiters.splice(i, 1)[0]?.resolve(e);
    },
    ...extra,
  });
  managers.push(manager);
  const next = (type: ModelManagerEvent['type']) =>
    new Promise<ModelManagerEvent>((resolve) => waiters.push({ type, resolve }));
  return { manager, loader, events, next };
}

const tensor = new Float32Array(1);

describe('model manager', () => {
  it('with no model folder configured: degraded with the reason, nothing loaded', async () => {
    const { manager, loader, events } = setup(undefined);
    await manager.start();
    expect(manager.current()).toBeNull();
    expect(manager.status()).toMatchObject({
      state: 'degraded',
      model: null,
      lastRefusal: { code: 'BUNDLE_MISSING_FILE' },
    });
    expect(manager.status().reason).toContain('no model folder configured');
    expect(loader.loaded).toHaveLength(0);
    expect(events).toEqual([
      { type: 'model-rejected', refusal: expect.objectContaining({ code: 'BUNDLE_MISSING_FILE' }), serving: null },
    ]);
  });

  it('with no bundle in the folder: degraded with the reason; a good bundle moved in later starts serving', async () => {
    const dir = await modelDir();
    const { manager, loader, next } = setup(dir);
    await manager.start();
    expect(manager.current()).toBeNull();
    expect(manager.status().state).toBe('degraded');
    expect(manager.status().reason).toMatch(/no model serves: model bundle .* is not a folder/);
    const loaded = next('model-loaded');
    await moveIn(b.good, dir);
    expect(await loaded).toMatchObject({ type: 'model-loaded', model: { version: GOOD_VERSION }, previous: null });
    expect(manager.current()?.model.version).toBe(GOOD_VERSION);
    expect(manager.status()).toMatchObject({
      state: 'serving',
      reason: null,
      lastRefusal: null,
      keyId: b.ed25519.keyId,
    });
    expect(loader.loaded).toHaveLength(1);
  });

  it('serves a good bundle at start: model ref from the verified manifest, self-test result, key id', async () => {
    const { manager, loader, events } = setup(await modelDir(b.good), { watch: false });
    await manager.start();
    const d = manager.current();
    expect(d).not.toBeNull();
    const bundle = loader.loaded[0]?.bundle;
    expect(loader.loaded[0]?.bytesAtLoad).toBe(bundle?.manifest.model.sizeBytes);
    expect(bundle?.modelBytes.length).toBe(0); // freed once the session held the model
    const ref = {
      name: 'tag-scratch',
      version: GOOD_VERSION,
      sha256: bundle?.modelSha256,
      precision: bundle?.manifest.precision,
    };
    expect(d?.model).toEqual(ref);
    expect(manager.status()).toMatchObject({
      state: 'serving',
      model: ref,
      selfTest: { passed: true, cases: 1 },
      keyId: b.ed25519.keyId,
      lastRefusal: null,
    });
    expect(events.map((e) => e.type)).toEqual(['model-loaded']);
    expect(await d?.run(tensor)).toMatchObject({ dims: bundle?.manifest.output.shape });
  });

  it('refuses each tampered update before any session is created, while the old model keeps serving', async () => {
    const dir = await modelDir(b.good);
    // the configuration pins the serving version as the minimum (the older-model case needs it)
    const { manager, loader, events } = setup(dir, { watch: false, minModelVersion: GOOD_VERSION });
    await manager.start();
    const serving = manager.current();
    expect(serving?.model.version).toBe(GOOD_VERSION);
    const codes: Record<string, string> = {};
    for (const c of cases) {
      await moveIn(c.dir, dir);
      const outcome = await manager.reload();
      codes[c.name] = outcome.outcome === 'rejected' ? outcome.refusal.code : outcome.outcome;
      expect(manager.current()).toBe(serving);
    }
    expect(codes).toEqual({
      'one flipped byte in the model': 'MODEL_HASH_MISMATCH',
      'truncated model': 'MODEL_SIZE_MISMATCH',
      'manifest edited (model hash)': 'SIGNATURE_INVALID',
      'manifest edited (classes)': 'SIGNATURE_INVALID',
      'manifest edited (thresholds)': 'SIGNATURE_INVALID',
      'signature from an unknown key': 'UNKNOWN_KEY',
      'signature missing': 'SIGNATURE_MISSING',
      'signature file not JSON': 'SIGNATURE_INVALID',
      'manifest (validly signed) of another model': 'MODEL_SIZE_MISMATCH',
      'older signed model below the pinned minimum version': 'MODEL_TOO_OLD',
    });
    // one session ever: no tampered bundle reached loadDetector, and the serving one stayed open
    expect(loader.loaded).toHaveLength(1);
    expect(loader.loaded[0]?.closedCount()).toBe(0);
    // every refused bundle is reported, even when it fails the same way as the one before
    const rejected = events.filter((e) => e.type === 'model-rejected');
    expect(rejected.length).toBe(cases.length);
    expect(manager.status()).toMatchObject({
      state: 'serving',
      model: { version: GOOD_VERSION },
      lastRefusal: { code: 'MODEL_TOO_OLD' },
    });
  });

  it('refuses a tampered bundle written in place (watched), keeps serving, and reports the code ready for /errors', async () => {
    const dir = await modelDir(b.good);
    const { manager, loader, next } = setup(dir);
    await manager.start();
    const serving = manager.current();
    const rejected = next('model-rejected');
    const bytes = await readFile(join(dir, 'model.onnx'));
    bytes[1000] = (bytes[1000] ?? 0) ^ 0x01;
    await writeFile(join(dir, 'model.onnx'), bytes);
    const event = await rejected;
    expect(event).toMatchObject({
      type: 'model-rejected',
      refusal: { code: 'MODEL_HASH_MISMATCH', model: { path: dir } },
      serving: { version: GOOD_VERSION },
    });
    expect(event.type === 'model-rejected' && event.refusal.message).toContain(dir);
    expect(manager.current()).toBe(serving);
    expect(loader.loaded).toHaveLength(1);
    expect(manager.status()).toMatchObject({ state: 'serving', lastRefusal: { code: 'MODEL_HASH_MISMATCH' } });
  });

  it('refuses an older signed model when a minimum version is pinned (rollback)', async () => {
    const dir = await modelDir(b.good);
    const { manager, loader } = setup(dir, { watch: false, minModelVersion: GOOD_VERSION });
    await manager.start();
    await moveIn(b.older, dir);
    const outcome = await manager.reload();
    expect(outcome).toMatchObject({ outcome: 'rejected', refusal: { code: 'MODEL_TOO_OLD' } });
    expect(manager.current()?.model.version).toBe(GOOD_VERSION);
    expect(loader.loaded).toHaveLength(1);
  });

  it('swaps in a good update (watched): runs in flight finish on the old model, which closes once they drained', async () => {
    const dir = await modelDir(b.older);
    const { manager, loader, next } = setup(dir);
    await manager.start();
    const old = manager.current();
    const oldSession = loader.loaded[0];
    let release: () => void = () => undefined;
    loader.hold = new Promise<void>((r) => {
      release = r;
    });
    const inFlight = old?.run(tensor);
    const loaded = next('model-loaded');
    await moveIn(b.good, dir);
    expect(await loaded).toMatchObject({
      model: { version: GOOD_VERSION },
      previous: { version: OLDER_VERSION },
    });
    const now = manager.current();
    expect(now).not.toBe(old);
    expect(now?.model.version).toBe(GOOD_VERSION);
    // the old session is still open: an inspection runs on it
    expect(oldSession?.closedCount()).toBe(0);
    release();
    loader.hold = null;
    await expect(inFlight).resolves.toMatchObject({ dims: [1, 5, expect.any(Number)] });
    await vi.waitFor(() => expect(oldSession?.closedCount()).toBe(1));
    expect(loader.loaded[1]?.closedCount()).toBe(0);
    expect(manager.status()).toMatchObject({ state: 'serving', model: { version: GOOD_VERSION }, lastRefusal: null });
  });

  it('logs the inference thread of each model; warns when a swapped-in model could not keep its priority', async () => {
    const lines: Array<{ level: number; msg: string; threads?: unknown }> = [];
    const log = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const dir = await modelDir(b.older);
    const loader = createFakeLoader();
    let loads = 0;
    // As the worker detector reports: the first model's thread kept at 0, the next one started lowered.
    const threaded: ModelManagerDeps['loadDetector'] = async (bundle, options) => {
      const inferenceNice = loads++ === 0 ? 0 : 10;
      const detector = await loader.load(bundle, options);
      const threads = { inferenceThreadId: 100 + loads, othersNice: 10, inferenceNice, prioritySupported: true };
      return Object.assign(detector, { threads });
    };
    const { manager, next } = setup(dir, { log, loadDetector: threaded });
    await manager.start();
    const serving = lines.filter((l) => l.msg === 'model serving');
    expect(serving).toHaveLength(1);
    expect(serving[0]?.threads).toMatchObject({ inferenceThreadId: 101, othersNice: 10, inferenceNice: 0 });
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
    const loaded = next('model-loaded');
    await moveIn(b.good, dir);
    await loaded;
    // moveIn replaces the folder (rm, then rename): the watcher may see it missing for a moment and
    // log that refusal too; the priority warning is the one that carries the threads.
    const warnings = lines.filter((l) => l.level === 40);
    const priority = warnings.filter((l) => l.threads !== undefined);
    expect(priority).toHaveLength(1);
    expect(priority[0]?.msg).toMatch(/runs at nice 10, no higher than the agent's other threads/);
    expect(warnings.filter((l) => l.threads === undefined).every((l) => l.msg.startsWith('model bundle refused'))).toBe(
      true,
    );
  });

  it('keeps the same model when the same bundle is written again (no swap, no event)', async () => {
    const dir = await modelDir(b.good);
    const { manager, loader, events } = setup(dir, { watch: false });
    await manager.start();
    const d = manager.current();
    await moveIn(b.good, dir);
    expect(await manager.reload()).toMatchObject({ outcome: 'unchanged' });
    expect(manager.current()).toBe(d);
    expect(loader.loaded).toHaveLength(1);
    expect(events).toHaveLength(1);
  });

  it('accepts an ECDSA P-256 signed update when that key is trusted', async () => {
    const dir = await modelDir(b.older);
    const { manager } = setup(dir, { watch: false, trustedKeys: [b.ed25519.publicKeyPem, b.ecdsa.publicKeyPem] });
    await manager.start();
    await moveIn(b.goodEcdsa, dir);
    expect(await manager.reload()).toMatchObject({ outcome: 'loaded', model: { version: GOOD_VERSION } });
    expect(manager.status().keyId).toBe(b.ecdsa.keyId);
  });

  it('rejects a model whose self-test fails, closing its session; with no other model: degraded', async () => {
    const { manager, loader, events } = setup(await modelDir(b.good), {
      watch: false,
      runSelfTests: async (bundle) => ({
        passed: false,
        modelSha256: bundle.modelSha256,
        cases: 1,
        failures: ['selftest-1-clean-01.jpg: expected ok, got defect'],
      }),
    });
    await manager.start();
    expect(manager.current()).toBeNull();
    expect(loader.loaded[0]?.closedCount()).toBe(1);
    expect(manager.status()).toMatchObject({ state: 'degraded', lastRefusal: { code: 'SELF_TEST_FAILED' } });
    expect(manager.status().reason).toContain(
      '1 of 1 self-test image(s) failed: selftest-1-clean-01.jpg: expected ok, got defect',
    );
    expect(events).toMatchObject([
      { type: 'model-rejected', refusal: { model: { name: 'tag-scratch', version: GOOD_VERSION } } },
    ]);
  });

  it('rejects a model the detector refuses (shape or probe), keeping the code', async () => {
    const { manager } = setup(await modelDir(b.good), {
      watch: false,
      loadDetector: async () => {
        throw new ModelIntegrityError(
          'MODEL_SHAPE_MISMATCH',
          'input images is [1,3,320,320], the manifest says [1,3,640,640]',
        );
      },
    });
    await manager.start();
    expect(manager.status()).toMatchObject({ state: 'degraded', lastRefusal: { code: 'MODEL_SHAPE_MISMATCH' } });
  });

  it('does not repeat the same refusal event for the same broken bundle', async () => {
    const flipped = cases.find((c) => c.name === 'one flipped byte in the model') as TamperCase;
    const { manager, events } = setup(await modelDir(flipped.dir), { watch: false });
    await manager.start();
    await manager.reload();
    await manager.reload();
    expect(events.filter((e) => e.type === 'model-rejected')).toHaveLength(1);
    expect(manager.status().lastRefusal?.code).toBe('MODEL_HASH_MISMATCH');
  });

  it('close() closes the serving session and stops watching', async () => {
    const dir = await modelDir(b.good);
    const { manager, loader } = setup(dir);
    await manager.start();
    await manager.close();
    expect(loader.loaded[0]?.closedCount()).toBe(1);
    expect(manager.current()).toBeNull();
  });
});
