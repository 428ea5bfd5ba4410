/**
 * The model manager: which model serves, and the only way a model gets to serve.
 *
 * A bundle folder serves only after it passed, in order: verifyModelBundle (files, signature, hash,
 * minimum version: before any session exists), loadDetector (session from the verified bytes,
 * input/output against the manifest, a finite probe) and the bundle's self-test images. A refusal at
 * any step never replaces a model that serves; with no good model the manager reports `degraded` with
 * the reason (the agent then leaves the camera folder untouched).
 *
 * Hot swap: the folder is watched (and `reload()` does the same on demand). A changed bundle is
 * verified and loaded BESIDE the serving one; then `current()` switches to it in one assignment, so
 * the next image uses the new model and no image is lost or inspected twice. Inspections already
 * running finish on the old detector: the old session is closed once its runs drained (reference
 * count), after a short grace for a caller that read `current()` just before the switch.
 *
 * API:
 *   start()    loads the folder once (never throws for a bad bundle), then watches it
 *   current()  the serving Detector, or null; stable per model (compare it to see a swap); its
 *              close() is a no-op: the manager owns the session
 *   status()   state serving|degraded|loading, reason, model ref, selfTest, lastRefusal
 *   reload()   verifies and loads the folder now (serialised with the watcher); the outcome
 *   close()    stops watching, waits for runs in flight, closes every session
 *   onEvent    model-loaded / model-rejected (with code and message ready for an ErrorEvent)
 *
 * Ports only: onnxruntime and sharp stay in the injected loadDetector/runSelfTests/preparer.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MANIFEST_FILE, MODEL_FILE, SIGNATURE_FILE } from '@edgeqc/model-component/manifest';
import type { ModelRef } from '../contracts/inspection.ts';
import type { Manifest, RawOutput, SelfTestResult, VerifiedBundle } from '../core/types.ts';
import { errorCode, ModelIntegrityError, messageOf } from '../errors.ts';
import { verifyModelBundle } from '../integrity/verify-bundle.ts';
import { type Logger, silentLogger } from '../log.ts';
import type { Detector, ImagePreparer } from '../ports.ts';
import { releaseMemory } from '../release-memory.ts';
import { createBundleDirWatcher, type WatchBundleDir } from './watch-bundle-dir.ts';

/** Why a bundle was refused; `code` is a ModelIntegrityError code (errors.ts). */
export interface ModelRefusal {
  readonly code: string;
  readonly message: string;
  /** What the bundle claimed to be (when its manifest was read) and where it was. */
  readonly model?: { readonly name?: string; readonly version?: string; readonly path?: string };
}

export type ModelManagerEvent =
  | {
      readonly type: 'model-loaded';
      readonly model: ModelRef;
      readonly selfTest: SelfTestResult;
      readonly keyId: string;
      readonly dir: string;
      /** The model it replaced (hot swap); null for the first one. */
      readonly previous: ModelRef | null;
    }
  | {
      readonly type: 'model-rejected';
      readonly refusal: ModelRefusal;
      /** The model that keeps serving, if any. */
      readonly serving: ModelRef | null;
    };

export type ModelManagerState = 'loading' | 'serving' | 'degraded';

export interface ModelManagerStatus {
  readonly state: ModelManagerState;
  /** Why there is no serving model (degraded), or what happens (loading). */
  readonly reason: string | null;
  readonly dir: string | null;
  readonly model: ModelRef | null;
  readonly selfTest: SelfTestResult | null;
  /** Key id that verified the serving model's manifest. */
  readonly keyId: string | null;
  readonly loadedAt: string | null;
  /** The last refusal since the last successful load; null when the last load succeeded. */
  readonly lastRefusal: ModelRefusal | null;
}

export type LoadOutcome =
  | { readonly outcome: 'loaded'; readonly model: ModelRef }
  | { readonly outcome: 'unchanged'; readonly model: ModelRef }
  | { readonly outcome: 'rejected'; readonly refusal: ModelRefusal };

/** What loadDetector is given for every model (adapters/onnx-detector.ts OnnxDetectorOptions). */
export interface DetectorSettings {
  readonly intraOpThreads: number;
  readonly interOpThreads: number;
  /** The session in a worker thread of its own, or (default) in the calling thread. */
  readonly worker?: boolean;
  /** onnxruntime's thread pools spin while waiting for work. Default false. */
  readonly allowSpinning?: boolean;
  /** With `worker`: the nice value of the agent's other threads while a model serves (0: unchanged). */
  readonly pipelineNice?: number;
}

export interface ModelManagerOptions {
  /** The bundle folder; none: degraded until one is configured. */
  readonly dir?: string;
  /** PEM public keys a manifest signature must verify against. */
  readonly trustedKeys: readonly string[];
  readonly minModelVersion?: string;
  /** onnxruntime settings (inference.intraOpThreads / interOpThreads / detectorThread / allowSpinning). */
  readonly detector: DetectorSettings;
  /** Watch the folder for a new bundle. Default true. */
  readonly watch?: boolean;
  /** After a swap, how long before the old session may close once idle. Default 2000 ms. */
  readonly retireGraceMs?: number;
}

export interface ModelManagerDeps {
  /** Default: integrity/verify-bundle.ts. */
  readonly verify?: typeof verifyModelBundle;
  /** adapters/onnx-detector.ts `loadDetector`. */
  readonly loadDetector: (bundle: VerifiedBundle, options: DetectorSettings) => Promise<Detector>;
  /** inference/self-test.ts `runSelfTests`. */
  readonly runSelfTests: (
    bundle: VerifiedBundle,
    detector: Detector,
    preparer: ImagePreparer,
  ) => Promise<SelfTestResult>;
  readonly preparer: ImagePreparer;
  /** Default: folder notifications on the bundle folder and its parent (watch-bundle-dir.ts). */
  readonly watchDir?: WatchBundleDir;
  readonly log?: Logger;
  readonly onEvent?: (event: ModelManagerEvent) => void;
}

export interface ModelManager {
  start(): Promise<void>;
  current(): Detector | null;
  status(): ModelManagerStatus;
  reload(): Promise<LoadOutcome>;
  close(): Promise<void>;
}

/** A loaded model and the runs in flight on it. */
interface Served {
  readonly detector: Detector;
  readonly facade: Detector;
  readonly ref: ModelRef;
  readonly manifest: Manifest;
  readonly selfTest: SelfTestResult;
  readonly keyId: string;
  readonly loadedAt: string;
  inFlight: number;
  retired: boolean;
  /** Set once closing was decided (after the grace); the session closes when the runs drained. */
  closed: Promise<void> | null;
  /** True from the moment the session closes: a run is refused. */
  shut: boolean;
  drained: (() => void) | null;
  endGrace: (() => void) | null;
}

const refOf = (m: Manifest, sha256: string): ModelRef => ({
  name: m.name,
  version: m.version,
  sha256,
  precision: m.precision,
});

function codeOf(err: unknown, fallback: string): string {
  if (err instanceof ModelIntegrityError) return err.code;
  const code = errorCode(err);
  return code !== undefined && /^[A-Z][A-Z0-9_]{2,63}$/.test(code) ? code : fallback;
}

/** Identity, size and mtime of the bundle's files: changes when any of them is written or replaced. */
async function folderFingerprint(dir: string): Promise<string> {
  const parts = await Promise.all(
    [MODEL_FILE, MANIFEST_FILE, SIGNATURE_FILE].map((name) =>
      stat(join(dir, name)).then(
        (st) => `${st.ino}:${st.size}:${st.mtimeMs}`,
        () => '-',
      ),
    ),
  );
  return parts.join('|');
}

export function createModelManager(config: ModelManagerOptions & ModelManagerDeps): ModelManager {
  const verify = config.verify ?? verifyModelBundle;
  const log = config.log ?? silentLogger();
  const emit = config.onEvent ?? (() => undefined);
  const watchDir = config.watchDir ?? createBundleDirWatcher();
  const graceMs = config.retireGraceMs ?? 2000;
  const dir = config.dir ?? null;

  let serving: Served | null = null;
  const retiring = new Set<Served>();
  let lastRefusal: ModelRefusal | null = null;
  let loading = false;
  let closed = false;
  let stopWatching: (() => Promise<void>) | null = null;
  let chain: Promise<unknown> = Promise.resolve();
  let queued: Promise<LoadOutcome> | null = null;

  function makeServed(detector: Detector, bundle: VerifiedBundle, selfTest: SelfTestResult): Served {
    const entry: Served = {
      detector,
      ref: refOf(bundle.manifest, bundle.modelSha256),
      manifest: bundle.manifest,
      selfTest,
      keyId: bundle.keyId,
      loadedAt: new Date().toISOString(),
      inFlight: 0,
      retired: false,
      closed: null,
      shut: false,
      drained: null,
      endGrace: null,
      facade: undefined as unknown as Detector,
    };
    const facade: Detector = {
      manifest: detector.manifest,
      model: detector.model,
      async run(tensor: Float32Array): Promise<RawOutput> {
        if (entry.shut) {
          throw new ModelIntegrityError(
            'MODEL_RETIRED',
            `model ${entry.ref.name} ${entry.ref.version} was replaced and closed; read current() again`,
          );
        }
        entry.inFlight += 1;
        try {
          return await detector.run(tensor);
        } finally {
          entry.inFlight -= 1;
          if (entry.inFlight === 0 && entry.drained) entry.drained();
        }
      },
      async close() {
        // the manager owns the session
      },
    };
    (entry as { facade: Detector }).facade = facade;
    return entry;
  }

  function idle(entry: Served): Promise<void> {
    if (entry.inFlight === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      entry.drained = () => {
        entry.drained = null;
        resolve();
      };
    });
  }

  /** Closes a model once its grace passed (or was cut short) and its runs drained. */
  function closeEntry(entry: Served, afterMs: number): Promise<void> {
    entry.closed ??= (async () => {
      if (afterMs > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, afterMs);
          entry.endGrace = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      while (entry.inFlight > 0) await idle(entry);
      entry.shut = true; // same synchronous step as the check above: no run can start in between
      try {
        await entry.detector.close();
        log.info({ model: entry.ref }, 'retired model closed');
      } catch (err) {
        log.warn({ err, model: entry.ref }, 'closing a model failed');
      } finally {
        retiring.delete(entry);
      }
    })();
    if (afterMs === 0) entry.endGrace?.();
    return entry.closed;
  }

  function retire(entry: Served): void {
    entry.retired = true;
    retiring.add(entry);
    void closeEntry(entry, graceMs);
  }

  /**
   * The same refusal of the same, unchanged folder is reported once (the watcher may fire again on
   * it); a new bundle that fails the same way is reported again.
   */
  let lastRefusalKey = '';
  async function refuse(refusal: ModelRefusal): Promise<LoadOutcome> {
    const key = JSON.stringify([refusal.code, refusal.message, dir && (await folderFingerprint(dir))]);
    const repeated = key === lastRefusalKey;
    lastRefusalKey = key;
    lastRefusal = refusal;
    log.warn({ code: refusal.code, dir, serving: serving?.ref ?? null }, `model bundle refused: ${refusal.message}`);
    if (!repeated) emit({ type: 'model-rejected', refusal, serving: serving?.ref ?? null });
    return { outcome: 'rejected', refusal };
  }

  async function loadOnce(): Promise<LoadOutcome> {
    if (dir === null) {
      return await refuse({
        code: 'BUNDLE_MISSING_FILE',
        message: 'no model folder configured (model.dir, --model or EDGEQC_MODEL_DIR)',
      });
    }
    loading = true;
    try {
      let bundle: VerifiedBundle;
      try {
        bundle = await verify(dir, { trustedKeys: config.trustedKeys, minModelVersion: config.minModelVersion });
      } catch (err) {
        return await refuse({ code: codeOf(err, 'MANIFEST_INVALID'), message: messageOf(err), model: { path: dir } });
      }
      const claimed = { name: bundle.manifest.name, version: bundle.manifest.version, path: dir };
      if (
        serving &&
        serving.ref.sha256 === bundle.modelSha256 &&
        JSON.stringify(serving.manifest) === JSON.stringify(bundle.manifest)
      ) {
        lastRefusal = null;
        lastRefusalKey = '';
        releaseMemory(bundle.modelBytes);
        return { outcome: 'unchanged', model: serving.ref };
      }
      let detector: Detector;
      try {
        detector = await config.loadDetector(bundle, { ...config.detector });
      } catch (err) {
        return await refuse({ code: codeOf(err, 'MODEL_LOAD_FAILED'), message: messageOf(err), model: claimed });
      } finally {
        // The session holds the model now (or there is none): free the verified bytes at once instead
        // of whenever V8 next collects them (12 MB for the FP32 demo model; README bench section).
        releaseMemory(bundle.modelBytes);
      }
      let selfTest: SelfTestResult;
      try {
        selfTest = await config.runSelfTests(bundle, detector, config.preparer);
      } catch (err) {
        await detector.close().catch(() => undefined);
        return await refuse({
          code: 'SELF_TEST_FAILED',
          message: `model bundle ${dir}: the self-test could not run: ${messageOf(err)}`,
          model: claimed,
        });
      }
      if (!selfTest.passed) {
        await detector.close().catch(() => undefined);
        return await refuse({
          code: 'SELF_TEST_FAILED',
          message: `model bundle ${dir}: ${selfTest.failures.length} of ${selfTest.cases} self-test image(s) failed: ${selfTest.failures.join('; ')}`,
          model: claimed,
        });
      }
      if (closed) {
        await detector.close().catch(() => undefined);
        return { outcome: 'rejected', refusal: { code: 'MODEL_LOAD_FAILED', message: 'the model manager closed' } };
      }
      const next = makeServed(detector, bundle, selfTest);
      const previous = serving;
      serving = next; // the switch: the next current() returns the new model
      lastRefusal = null;
      lastRefusalKey = '';
      if (previous) retire(previous);
      const threads = detector.threads;
      log.info(
        { model: next.ref, previous: previous?.ref ?? null, keyId: next.keyId, ...(threads ? { threads } : {}) },
        'model serving',
      );
      if (threads && threads.othersNice > 0 && (threads.inferenceNice ?? 0) >= threads.othersNice) {
        log.warn(
          { model: next.ref, threads },
          `the inference thread of ${next.ref.name} ${next.ref.version} runs at nice ${threads.inferenceNice}, no higher than the agent's other threads: it was started by a lowered thread and cannot be raised without privilege, so it no longer has a core to itself until the agent restarts`,
        );
      }
      emit({
        type: 'model-loaded',
        model: next.ref,
        selfTest,
        keyId: next.keyId,
        dir,
        previous: previous?.ref ?? null,
      });
      return { outcome: 'loaded', model: next.ref };
    } finally {
      loading = false;
    }
  }

  /** One load at a time; requests during a load coalesce into one more load after it. */
  function reload(): Promise<LoadOutcome> {
    if (queued) return queued;
    const run = chain.then(() => {
      queued = null;
      return loadOnce();
    });
    queued = run;
    chain = run.catch(() => undefined);
    return run;
  }

  return {
    async start() {
      // watch first, so that a bundle landing during the first load is loaded right after it
      if (dir !== null && config.watch !== false && !closed) {
        try {
          stopWatching = await watchDir(dir, () => {
            if (!closed) void reload().catch((err: unknown) => log.error({ err }, 'model reload failed'));
          });
        } catch (err) {
          log.warn({ err, dir }, 'cannot watch the model folder: a new bundle needs reload() or a restart');
        }
      }
      await reload();
    },

    current() {
      return serving?.facade ?? null;
    },

    status() {
      const reason =
        serving !== null
          ? null
          : loading && lastRefusal === null
            ? 'loading the model bundle'
            : lastRefusal
              ? `no model serves: ${lastRefusal.message}`
              : 'no model serves yet';
      return {
        state: serving !== null ? 'serving' : loading && lastRefusal === null ? 'loading' : 'degraded',
        reason,
        dir,
        model: serving?.ref ?? null,
        selfTest: serving?.selfTest ?? null,
        keyId: serving?.keyId ?? null,
        loadedAt: serving?.loadedAt ?? null,
        lastRefusal,
      };
    },

    reload,

    async close() {
      if (closed) return;
      closed = true;
      if (stopWatching) await stopWatching();
      await chain;
      const all = [...retiring];
      if (serving) all.push(serving);
      serving = null;
      await Promise.all(all.map((e) => closeEntry(e, 0)));
    },
  };
}
