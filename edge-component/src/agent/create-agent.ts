/**
 * The long-running agent: pulls complete files from the camera folder, inspects each once with the
 * model that serves, and makes every outcome durable before the file leaves the folder.
 *
 *   1 intake (bounded by `inFlight`)   admit + hash + prepare, several at once (decoding overlaps inference)
 *   2 decide (INSPECT_AHEAD at once,   duplicate? crash leftover? else inspect with the serving model; the
 *     handed on in intake order)       next image's tensor is already with the detector when one finishes
 *   3 commit (in intake order)         outbox.append (fsync) -> seen.put -> archive -> seen.markArchived,
 *                                      while stage 2 already runs the next image's inference
 *
 * - No model serving: the camera folder is not touched (no file is pulled), status `degraded` with the
 *   reason; intake starts as soon as a model serves. Greengrass hears RUNNING once a model serves and
 *   ERRORED when a bundle was refused and none serves (a deployment carrying a bad model fails, and the
 *   nucleus rolls it back), while the process stays up and keeps reporting.
 * - Outbox full with the pause-intake policy: no new file is pulled (they wait safely in the folder),
 *   status `degraded` with the reason, until the broker takes messages again.
 * - Hot swap: the detector is read from the model manager per image, when its decision starts.
 * - Identical bytes: the decisions of two images with the same sha256 run one after the other, so the
 *   second sees the first as inspected (a duplicate) and is never inspected itself.
 * - Status: retained on <prefix>/status every `statusIntervalSec`, on every change of state, reason or
 *   model, and after the publisher reconnects; `offline` when stopped (and as the MQTT Last Will).
 * - stop(): no new files, the images in flight are finished, the outbox gets a few seconds to deliver,
 *   then the `offline` status and the publisher closes.
 */
import type { Manifest } from '@edgeqc/model-component/manifest';
import type { Inspection } from '../contracts/inspection.ts';
import type { AgentState, Status } from '../contracts/status.ts';
import { topicsFor } from '../contracts/topics.ts';
import type { AdmittedImage, CameraFile, Detector, Publisher } from '../ports.ts';
import { isDetached, releaseMemory } from '../release-memory.ts';
import type { AgentDeps, AgentSettings, ModelRefusal } from './agent-deps.ts';
import {
  type AgentCounters,
  errorEvent,
  jsonBytes,
  offlineStatus,
  type StatusSnapshot,
  statusMessage,
  zeroCounters,
} from './agent-messages.ts';
import { admitAndPrepare, type IntakeResult, recoveredInspection, rejectionOf, sameInput } from './pipeline.ts';
import { createRateWindow } from './rate-window.ts';

/** What the model manager reports; main.ts forwards its events here. */
export type ModelEvent = { readonly type: 'loaded' } | { readonly type: 'rejected'; readonly refusal: ModelRefusal };

export interface Agent {
  /** Publishes the first status and starts intake (as soon as a model serves). */
  start(): Promise<void>;
  /** Stops in order (see the file comment); resolves when everything is closed. Idempotent. */
  stop(reason: string): Promise<void>;
  /** The status as it would be published now. */
  status(): Status;
  /** A model was loaded or refused: re-evaluate, publish the status, report the lifecycle state. */
  modelEvent(event: ModelEvent): void;
  /** Resolves when the agent has stopped. */
  readonly stopped: Promise<void>;
}

interface Job {
  readonly file: CameraFile;
  readonly pulledAt: number;
  /** Set when stage 1 is done with the file; null when it failed unexpectedly (the file is left). */
  intake?: IntakeResult | null;
}

const TICK_MS = 250;
/** Decided images waiting for their commit while the next one is inspected. */
const COMMIT_AHEAD = 1;
/**
 * Decisions under way at once: with two, the next image's inference is queued at the detector while
 * the current one runs, so a detector on its own thread never waits for the main thread (which may be
 * letterboxing another image) between two images.
 */
const INSPECT_AHEAD = 2;

/** What stage 2 decided for an image; stage 3 carries it out. */
type Decision =
  | Exclude<IntakeResult, { kind: 'admitted' }>
  | { readonly kind: 'known'; readonly image: AdmittedImage }
  | { readonly kind: 'inspected'; readonly image: AdmittedImage; readonly inspection: Inspection }
  | { readonly kind: 'leave' };

export function createAgent(deps: AgentDeps, settings: AgentSettings): Agent {
  const { log, camera, preparer, models, outbox, archive, seen } = deps;
  const now = deps.now ?? (() => new Date());
  const topics = topicsFor(settings.topicPrefix);
  const inFlight = Math.max(1, Math.floor(settings.inFlight));
  const counters: AgentCounters = zeroCounters();
  const rates = createRateWindow({ startedAtMs: Date.now() });
  const abort = new AbortController();
  /** Pulled from the camera, not yet decided (stage 1 runs on them concurrently). */
  const queue: Job[] = [];
  /** Decided, waiting for (or in) their commit. */
  const commits: { job: Job; decision: Decision }[] = [];
  /** sha256 of images inspected but not yet in the seen index: an identical image is not inspected again. */
  const committing = new Set<string>();
  /** sha256 -> the decision under way for those bytes: a later image with the same bytes waits for it. */
  const deciding = new Map<string, Promise<void>>();
  let stopping = false;
  let started = false;
  let lastError: string | null = null;
  let wake: (() => void) | undefined;
  let ticker: NodeJS.Timeout | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let lastPublishedKey = '';
  let wasConnected = false;
  let reportedLifecycle: 'RUNNING' | 'ERRORED' | undefined;
  let statusChain: Promise<void> = Promise.resolve();
  let stopPromise: Promise<void> | undefined;
  let markStopped: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => {
    markStopped = resolve;
  });
  let loops: Promise<void> = Promise.resolve();

  /** Wakes the loops: something they wait for may have changed. */
  const poke = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const nap = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      const previous = wake;
      wake = done;
      function done() {
        clearTimeout(timer);
        if (wake === done) wake = undefined;
        previous?.();
        resolve();
      }
    });

  const noteError = (message: string, err?: unknown) => {
    lastError = message;
    log.warn({ err }, message);
  };

  // ---- state -------------------------------------------------------------------------------------

  const condition = (): { state: AgentState; reason?: string } => {
    if (stopping) return { state: 'offline', reason: 'the agent is stopping' };
    const m = models.status();
    if (models.current() === null) {
      const refusal = m.lastRefusal;
      return {
        state: 'degraded',
        reason: refusal
          ? `no model serves: ${refusal.code}: ${refusal.message}`
          : 'no model serves yet: waiting for a model bundle that verifies (camera folder left untouched)',
      };
    }
    if (outbox.isFull()) {
      const s = outbox.stats();
      return {
        state: 'degraded',
        reason: `outbox full (${s.pending}/${s.capacity} messages): intake paused until the broker takes messages`,
      };
    }
    return { state: 'online' };
  };

  const snapshot = (): StatusSnapshot => {
    const m = models.status();
    const c = condition();
    const t = now();
    return {
      thingName: settings.thingName,
      agentVersion: settings.agentVersion,
      state: c.state,
      reason: c.reason,
      at: t,
      model: m.model,
      selfTest: m.selfTest,
      imagesPerSecond: rates.imagesPerSecond(t.getTime()),
      latencyMs: rates.latency(t.getTime()),
      queueDepth: queue.length + commits.length + (camera.stats?.().pending ?? 0),
      outbox: outbox.stats(),
      counters: { ...counters },
      lastError,
    };
  };

  const publishStatus = (status: Status): Promise<void> => {
    statusChain = statusChain.then(async () => {
      if (!deps.publisher.isConnected()) return;
      try {
        await deps.publisher.publish({ topic: topics.status, payload: jsonBytes(status), qos: 1, retain: true });
      } catch (err) {
        log.debug({ err }, 'status not published (the next heartbeat will try again)');
      }
    });
    return statusChain;
  };

  const reportLifecycle = (state: 'RUNNING' | 'ERRORED') => {
    if (!deps.lifecycle || reportedLifecycle === state) return;
    reportedLifecycle = state;
    log.info({ state }, 'lifecycle state reported');
    deps.lifecycle.report(state).catch((err: unknown) => {
      reportedLifecycle = undefined;
      noteError(`lifecycle state ${state} could not be reported`, err);
    });
  };

  /** Publishes the status when the state, reason or model changed (or `force`); reports the lifecycle. */
  const evaluate = (force = false) => {
    if (!started || stopping) return;
    if (models.current() !== null) reportLifecycle('RUNNING');
    else if (models.status().lastRefusal) reportLifecycle('ERRORED');
    const connected = deps.publisher.isConnected();
    const reconnected = connected && !wasConnected;
    wasConnected = connected;
    const c = condition();
    const m = models.status();
    const key = JSON.stringify([c.state, c.reason, m.model?.sha256, m.selfTest?.passed]);
    if (force || reconnected || key !== lastPublishedKey) {
      if (key !== lastPublishedKey) log.info({ state: c.state, reason: c.reason, model: m.model }, 'agent state');
      lastPublishedKey = key;
      void publishStatus(statusMessage(snapshot()));
    }
  };

  // ---- the pipeline --------------------------------------------------------------------------------

  const canPull = () =>
    !stopping &&
    models.current() !== null &&
    !outbox.isFull() &&
    queue.length + commits.length < inFlight + COMMIT_AHEAD;

  const appendDurably = async (entry: { topic: string; payload: Uint8Array; messageId?: string }) => {
    for (let attempt = 0; ; attempt += 1) {
      try {
        await outbox.append(entry);
        return true;
      } catch (err) {
        noteError(`outbox append to ${entry.topic} failed (attempt ${attempt + 1})`, err);
        const code = (err as { code?: string } | null)?.code;
        // A full outbox frees up as the broker takes messages; a bad entry or a closed outbox never will.
        if (stopping || code === 'OUTBOX_BAD_ENTRY' || code === 'OUTBOX_CLOSED') return false;
        await nap(Math.min(5000, 200 * 2 ** attempt));
      }
    }
  };

  const sendError = async (input: Omit<Parameters<typeof errorEvent>[0], 'thingName' | 'at'>) => {
    const event = errorEvent({ ...input, thingName: settings.thingName, at: now() });
    return appendDurably({ topic: topics.errors, payload: jsonBytes(event) });
  };

  const quarantine = async (file: CameraFile, code: string, message: string, sha256?: string) => {
    lastError = `${code}: ${message}`;
    log.warn({ file: file.path, code }, message);
    if (!(await sendError({ kind: 'quarantine', code, message, file: baseName(file.path), sha256 }))) return;
    try {
      await archive.quarantine(file.path, { code, message, sha256 });
      camera.markDone(file.path);
    } catch (err) {
      if ((err as { code?: string } | null)?.code === 'ARCHIVE_SOURCE_MISSING') camera.markDone(file.path);
      else noteError(`${file.path} could not be moved to quarantine`, err);
    }
  };

  /** The detector that serves now; waits while none does. null when stopping. */
  const servingDetector = async (): Promise<Detector | null> => {
    for (;;) {
      const d = models.current();
      if (d) return d;
      if (stopping) return null;
      await nap(TICK_MS);
    }
  };

  const inspectOnce = async (
    image: IntakeResult & { kind: 'admitted' },
    detector: Detector,
  ): Promise<{ inspection: Inspection } | { code: string; message: string }> => {
    let prepared = image.prepared;
    try {
      // Prepared again for another model's input, or when a detector took the tensor on an earlier try.
      if (!prepared || isDetached(prepared.tensor) || !sameInput(image.preparedFor, detector.manifest.input)) {
        prepared = await preparer.prepare(image.image, detector.manifest.input);
      }
    } catch (err) {
      return rejectionOf(err, image.file.path);
    }
    try {
      return {
        inspection: await deps.inspect(prepared, detector, {
          thingName: settings.thingName,
          thresholds: settings.thresholds,
        }),
      };
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      return { code: 'INSPECTION_FAILED', message: `${image.file.path} could not be inspected: ${detail}` };
    } finally {
      // A tensor prepared here for another model's input; the intake's own is released by `decide`.
      if (prepared !== image.prepared) releaseMemory(prepared.tensor);
    }
  };

  /**
   * Stage 2 (one image at a time, in intake order): what to do with the image. Inspects it unless it
   * is known (in the seen index, or inspected and waiting to be committed): those are settled by the
   * commit stage without inspecting.
   */
  const decide = async (result: IntakeResult): Promise<Decision> => {
    if (result.kind !== 'admitted') return result;
    try {
      return await decideAdmitted(result);
    } finally {
      releaseMemory(result.prepared?.tensor); // inspected or not, nothing reads this tensor again
    }
  };

  const decideAdmitted = async (result: IntakeResult & { kind: 'admitted' }): Promise<Decision> => {
    const { image } = result;
    if (seen.get(image.sha256) || committing.has(image.sha256)) return { kind: 'known', image };
    let detector = await servingDetector();
    if (!detector) return { kind: 'leave' };
    let outcome = await inspectOnce(result, detector);
    if ('code' in outcome && outcome.code === 'INSPECTION_FAILED' && models.current() !== detector) {
      // The model was swapped while this image ran on the old one: run it on the new one.
      detector = await servingDetector();
      if (!detector) return { kind: 'leave' };
      outcome = await inspectOnce(result, detector);
    }
    if ('code' in outcome) {
      return {
        kind: 'rejected',
        file: result.file,
        code: outcome.code,
        message: outcome.message,
        sha256: image.sha256,
      };
    }
    committing.add(image.sha256);
    return { kind: 'inspected', image, inspection: outcome.inspection };
  };

  /**
   * Stage 3 (one image at a time, in intake order, overlapping the next image's inference): make the
   * outcome durable, then move the file: outbox.append -> seen.put -> archive -> seen.markArchived.
   */
  const commit = async (job: Job, decision: Decision) => {
    const { file } = job;
    if (decision.kind === 'leave') return; // stopping: the file stays and is handled after the restart
    if (decision.kind === 'gone') {
      log.info({ file: file.path }, decision.message);
      camera.markDone(file.path);
      return;
    }
    if (decision.kind === 'rejected') {
      counters.quarantined += 1;
      await quarantine(file, decision.code, decision.message, decision.sha256);
      return;
    }
    const { image } = decision;
    if (decision.kind === 'known') {
      const known = seen.get(image.sha256);
      if (known?.archived) {
        counters.duplicates += 1;
        await quarantine(
          file,
          'IMAGE_DUPLICATE',
          `${file.path} has the same bytes as ${known.file}, already inspected (messageId ${known.messageId}); not inspected again`,
          image.sha256,
        );
      } else if (known) {
        // Inspected and in the outbox before a crash, but never moved: finish the move only.
        log.info({ file: file.path, messageId: known.messageId }, 'finishing the archive move of an inspected image');
        try {
          await archive.done(image, recoveredInspection(known, image, models.current()));
          await seen.markArchived(image.sha256);
          camera.markDone(file.path);
        } catch (err) {
          noteError(`${file.path} could not be archived`, err);
        }
      }
      // Not known any more: the identical image before it was not committed (stopping); both stay.
      return;
    }
    const { inspection } = decision;
    try {
      const appended = await appendDurably({
        topic: topics.inspections,
        payload: jsonBytes(inspection),
        messageId: inspection.messageId,
      });
      if (!appended) return; // stopping: the file stays in the folder and is inspected after the restart
      counters.inspected += 1;
      counters[inspection.verdict] += 1;
      await seen.put({
        sha256: image.sha256,
        messageId: inspection.messageId,
        file: image.file,
        verdict: inspection.verdict,
        archived: false,
      });
      await archive.done(image, inspection).catch((err: unknown) => {
        // The file vanished after it was read: its inspection stands; nothing is left to move.
        if ((err as { code?: string } | null)?.code !== 'ARCHIVE_SOURCE_MISSING') throw err;
        log.warn({ file: file.path }, 'the inspected file vanished before it could be moved');
      });
      await seen.markArchived(image.sha256);
      camera.markDone(file.path);
    } catch (err) {
      noteError(`${file.path} was inspected (messageId ${inspection.messageId}) but could not be archived`, err);
    } finally {
      committing.delete(image.sha256);
    }
    const t = Date.now();
    rates.record(t, t - job.pulledAt);
  };

  const servingInput = (): Manifest['input'] | null => models.current()?.manifest.input ?? null;

  const intakeLoop = async () => {
    let files: AsyncIterator<CameraFile> | undefined;
    try {
      while (!stopping) {
        if (!canPull()) {
          evaluate();
          await nap(TICK_MS);
          continue;
        }
        files ??= camera.files(abort.signal)[Symbol.asyncIterator]();
        const next = await files.next();
        if (next.done || stopping) break;
        const file = next.value;
        const job: Job = { file, pulledAt: Date.now() };
        void admitAndPrepare(
          {
            admit: (f) => preparer.admit(f),
            prepare: (image, input) => preparer.prepare(image, input),
            seen: (sha) => seen.get(sha),
            servingInput,
          },
          file,
        ).then(
          (intake) => {
            job.intake = intake;
            poke();
          },
          (err: unknown) => {
            noteError(`unexpected failure while reading ${file.path}; it stays for the next start`, err);
            job.intake = null;
            poke();
          },
        );
        queue.push(job);
        poke();
      }
    } catch (err) {
      noteError('the camera folder cannot be read any more', err);
    } finally {
      await files?.return?.().catch(() => undefined);
    }
  };

  /** A decision started for a job; `decision` is set when it is made. */
  interface Deciding {
    readonly job: Job;
    decision?: Decision;
  }

  /**
   * Starts the decision for a job whose intake is done. Called in intake order, and an image claims
   * its sha256 before anything is awaited, so of two images with the same bytes the later one waits
   * for the earlier one's decision, sees it inspected, and is settled as a duplicate.
   */
  const startDeciding = (job: Job, intake: IntakeResult | null): Deciding => {
    const entry: Deciding = { job };
    if (intake === null) {
      entry.decision = { kind: 'leave' };
      return entry;
    }
    const sha256 = intake.kind === 'admitted' ? intake.image.sha256 : undefined;
    const before = sha256 === undefined ? undefined : deciding.get(sha256);
    let finished: () => void = () => undefined;
    if (sha256 !== undefined) {
      const mine: Promise<void> = new Promise((resolve) => {
        finished = () => {
          if (deciding.get(sha256) === mine) deciding.delete(sha256);
          resolve();
        };
      });
      deciding.set(sha256, mine);
    }
    void (async () => {
      try {
        await before;
        entry.decision = await decide(intake);
      } catch (err) {
        noteError(`unexpected failure while inspecting ${job.file.path}`, err);
        entry.decision = { kind: 'leave' };
      } finally {
        finished();
      }
      poke();
    })();
    return entry;
  };

  /**
   * Stage 2: decides (inspects) the first INSPECT_AHEAD images of the queue at once, started in intake
   * order as their intake completes, and hands the decisions on in the same order; at most
   * COMMIT_AHEAD wait for their commit.
   */
  const inspectLoop = async (intakeDone: () => boolean) => {
    /** The decisions started, for queue[0], queue[1], ... */
    const started: Deciding[] = [];
    for (;;) {
      while (started.length < INSPECT_AHEAD) {
        const next = queue[started.length];
        if (next?.intake === undefined) break; // its intake is still under way: decisions start in intake order
        started.push(startDeciding(next, next.intake));
      }
      const head = started[0];
      if (head?.decision && commits.length < COMMIT_AHEAD) {
        started.shift();
        queue.shift();
        commits.push({ job: head.job, decision: head.decision });
        poke();
        continue;
      }
      if (queue.length === 0 && intakeDone()) return;
      await nap(TICK_MS);
    }
  };

  /** Stage 3: commits the decisions in the same order. */
  const commitLoop = async (inspectDone: () => boolean) => {
    for (;;) {
      const next = commits[0];
      if (!next) {
        if (inspectDone()) return;
        await nap(TICK_MS);
        continue;
      }
      try {
        await commit(next.job, next.decision);
      } catch (err) {
        noteError(`unexpected failure while handling ${next.job.file.path}`, err);
      }
      commits.shift();
      poke();
    }
  };

  const countingPublisher = (p: Publisher): Publisher => ({
    connect: () => p.connect(),
    isConnected: () => p.isConnected(),
    close: (final) => p.close(final),
    async publish(request) {
      await p.publish(request);
      if (request.topic === topics.inspections) counters.published += 1;
    },
  });

  const agent: Agent = {
    stopped,

    async start() {
      if (started) return;
      started = true;
      outbox.start(countingPublisher(deps.publisher));
      wasConnected = deps.publisher.isConnected();
      evaluate(true);
      ticker = setInterval(() => evaluate(), TICK_MS);
      heartbeat = setInterval(() => evaluate(true), Math.max(1, settings.statusIntervalSec) * 1000);
      let intakeFinished = false;
      let inspectFinished = false;
      const intake = intakeLoop().finally(() => {
        intakeFinished = true;
        poke();
      });
      const inspecting = inspectLoop(() => intakeFinished).finally(() => {
        inspectFinished = true;
        poke();
      });
      loops = Promise.all([intake, inspecting, commitLoop(() => inspectFinished)]).then(() => undefined);
      log.info({ thingName: settings.thingName, topics, inFlight }, 'agent started');
    },

    stop(reason) {
      stopPromise ??= (async () => {
        log.info({ reason }, 'agent stopping');
        const last = snapshot();
        stopping = true;
        abort.abort();
        poke();
        if (ticker) clearInterval(ticker);
        if (heartbeat) clearInterval(heartbeat);
        const drainMs = settings.shutdownDrainMs ?? 10_000;
        let drained = false;
        await Promise.race([
          loops.then(() => {
            drained = true;
          }),
          new Promise((r) => setTimeout(r, drainMs).unref()),
        ]);
        if (!drained) log.warn({ drainMs }, 'images still in flight at shutdown; they stay in the folder');
        const flushed = await outbox.flush(settings.shutdownFlushMs ?? 3000).catch(() => false);
        if (!flushed) log.warn({ pending: outbox.stats().pending }, 'outbox not empty at shutdown; kept on disk');
        await outbox.close().catch((err: unknown) => log.warn({ err }, 'outbox close failed'));
        await statusChain;
        const final = offlineStatus({ ...last, ...snapshot(), at: now() }, reason);
        await deps.publisher
          .close({ topic: topics.status, payload: jsonBytes(final), qos: 1, retain: true })
          .catch((err: unknown) => log.warn({ err }, 'publisher close failed'));
        await seen.close().catch((err: unknown) => log.warn({ err }, 'seen index close failed'));
        log.info({ counters }, 'agent stopped');
        markStopped();
      })();
      return stopPromise;
    },

    status: () => statusMessage(snapshot()),

    modelEvent(event) {
      if (event.type === 'rejected') {
        const r = event.refusal;
        lastError = `${r.code}: ${r.message}`;
        log.error({ code: r.code, model: r.model }, `model refused: ${r.message}`);
        void sendError({ kind: 'model-rejected', code: r.code, message: r.message, model: r.model });
      } else {
        log.info({ model: models.status().model }, 'model serving');
      }
      poke();
      evaluate(true);
    },
  };
  return agent;
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
