/**
 * The model manager: which model serves.
 *
 * A bundle folder serves only after it passed the bundle gate (bundle-gate.ts: signature, the
 * deployment's expected model, hash, the persisted high-water mark against rollback (model-high-water.ts,
 * under `stateDir`), session, self-test). A refusal never replaces a model that serves; with no good model the manager
 * reports `degraded` with the reason (the agent then leaves the camera folder untouched).
 *
 * Hot swap: the folder is watched (and `reload()` does the same on demand). A changed bundle is
 * verified and loaded BESIDE the serving one; then `current()` switches to it in one assignment, so
 * the next image uses the new model and no image is lost or inspected twice. Inspections already
 * running finish on the old detector (served-model.ts: closed once its runs drained, after a grace).
 *
 * API:
 *   start()    loads the folder once (never throws for a bad bundle), then watches it
 *   current()  the serving Detector, or null; stable per model (compare it to see a swap); its
 *              close() is a no-op: the manager owns the session
 *   status()   state serving|degraded|loading, reason, model ref, selfTest, lastRefusal
 *   reload()   verifies and loads the folder now (serialised with the watcher); the outcome
 *   stopServing()  retires the serving model on purpose (Lookout for Vision StopModel): current()
 *              is null and the folder is not loaded again until resumeServing(); not a refusal
 *   resumeServing()  loads the folder again (StartModel); the outcome
 *   close()    stops watching, waits for runs in flight, closes every session
 *   onEvent    model-loaded / model-rejected (with code and message ready for an ErrorEvent)
 *
 * Ports only: onnxruntime and sharp stay in the injected loadDetector/runSelfTests/preparer.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MANIFEST_FILE, MODEL_FILE, SIGNATURE_FILE } from '@edgeqc/model-component/manifest';
import { ModelIntegrityCode } from '../errors.ts';
import { type ModelExpectation, verifyModelBundle } from '../integrity/verify-bundle.ts';
import { type Logger, silentLogger } from '../log.ts';
import type { Detector, ImagePreparer } from '../ports.ts';
import { type BundleGate, type DetectorSettings, passBundleGate } from './bundle-gate.ts';
import { createModelHighWater, type ModelHighWater } from './model-high-water.ts';
import type { LoadOutcome, ModelManagerEvent, ModelManagerStatus, ModelRefusal } from './model-reports.ts';
import { closeServedModel, createServedModel, type ServedModel } from './served-model.ts';
import { createBundleDirWatcher, type WatchBundleDir } from './watch-bundle-dir.ts';

export type { DetectorSettings } from './bundle-gate.ts';
export type {
  LoadOutcome,
  ModelManagerEvent,
  ModelManagerState,
  ModelManagerStatus,
  ModelRefusal,
} from './model-reports.ts';

export interface ModelManagerOptions {
  /** The bundle folder; none: degraded until one is configured. */
  readonly dir?: string;
  /** PEM public keys a manifest signature must verify against. */
  readonly trustedKeys: readonly string[];
  readonly minModelVersion?: string;
  /** What the signed manifest must say (config `model.expect`); none: not checked. */
  readonly expect?: ModelExpectation;
  /**
   * The agent's state folder (`<workDir>/state`): the high-water mark of accepted models is kept there
   * and a lower version is refused (MODEL_ROLLBACK), across restarts. None: no mark (one-off use).
   */
  readonly stateDir?: string;
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
  /** Default: model-high-water.ts over `stateDir` (when it is given). */
  readonly highWater?: ModelHighWater;
  /** adapters/onnx-detector.ts `loadDetector`. */
  readonly loadDetector: BundleGate['loadDetector'];
  /** inference/self-test.ts `runSelfTests`. */
  readonly runSelfTests: BundleGate['runSelfTests'];
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
  stopServing(): Promise<void>;
  resumeServing(): Promise<LoadOutcome>;
  close(): Promise<void>;
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
  const highWater =
    config.highWater ??
    (config.stateDir !== undefined ? createModelHighWater({ stateDir: config.stateDir }) : undefined);

  let serving: ServedModel | null = null;
  const retiring = new Set<ServedModel>();
  let lastRefusal: ModelRefusal | null = null;
  let loading = false;
  let closed = false;
  /** Stopped on purpose (stopServing): no load until resumeServing. */
  let stopped = false;
  let stopWatching: (() => Promise<void>) | null = null;
  let chain: Promise<unknown> = Promise.resolve();
  let queued: Promise<LoadOutcome> | null = null;

  const closeEntry = (entry: ServedModel, afterMs: number) =>
    closeServedModel(entry, afterMs, log, () => retiring.delete(entry));

  function retire(entry: ServedModel): void {
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
    if (stopped) {
      return {
        outcome: 'rejected',
        refusal: { code: ModelIntegrityCode.LoadFailed, message: 'the model is stopped (resumeServing loads it)' },
      };
    }
    if (dir === null) {
      return await refuse({
        code: ModelIntegrityCode.BundleMissingFile,
        message: 'no model folder configured (model.dir, --model or EDGEQC_MODEL_DIR)',
      });
    }
    loading = true;
    try {
      const gated = await passBundleGate(dir, { ...config, verify, highWater }, (bundle) =>
        serving !== null &&
        serving.ref.sha256 === bundle.modelSha256 &&
        JSON.stringify(serving.manifest) === JSON.stringify(bundle.manifest)
          ? serving.ref
          : null,
      );
      if (gated.kind === 'refused') return await refuse(gated.refusal);
      if (gated.kind === 'unchanged') {
        lastRefusal = null;
        lastRefusalKey = '';
        return { outcome: 'unchanged', model: gated.model };
      }
      const { bundle, detector, selfTest } = gated;
      if (closed) {
        await detector.close().catch(() => undefined);
        return {
          outcome: 'rejected',
          refusal: { code: ModelIntegrityCode.LoadFailed, message: 'the model manager closed' },
        };
      }
      const next = createServedModel(detector, bundle, selfTest);
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
          : stopped
            ? 'the model was stopped on request (StopModel); StartModel serves it again'
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
        stopped,
      };
    },

    reload,

    async stopServing() {
      stopped = true;
      await chain; // a load under way finishes first, then is retired with the rest
      if (serving) {
        const entry = serving;
        serving = null;
        log.info({ model: entry.ref }, 'model stopped on request');
        retire(entry);
      }
    },

    resumeServing() {
      stopped = false;
      return reload();
    },

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
