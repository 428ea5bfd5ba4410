/**
 * The long-running agent: pulls complete files from the camera folder, inspects each once with the
 * model that serves, and makes every outcome durable before the file leaves the folder. Four stages
 * around bounded queues, wired here:
 *
 *   intake   (intake-stage.ts)   camera -> jobs: admit + hash + prepare, `inFlight` at once
 *   decide   (decide-stage.ts)   jobs -> commits: duplicate? crash leftover? else inspect
 *   commit   (commit-stage.ts)   commits -> outbox, seen index, archive, in intake order
 *   status   (status-stage.ts)   state and reason, retained status, heartbeat, lifecycle
 *
 * - No model serving: the camera folder is not touched, status `degraded` with the reason; intake
 *   starts as soon as a model serves. The process stays up and keeps reporting.
 * - Outbox full with the pause-intake policy: no new file is pulled, status `degraded`, until the
 *   broker takes messages again.
 * - stop(): no new files, the images in flight are finished, the outbox gets a few seconds to deliver,
 *   then the `offline` status and the publisher closes.
 */
import { DEFAULT_METRICS_CONFIG } from '../config/metrics-schemas.ts';
import type { Inspection } from '../contracts/inspection.ts';
import type { MetricsMessage } from '../contracts/metrics.ts';
import type { Status } from '../contracts/status.ts';
import { topicsFor } from '../contracts/topics.ts';
import type { AgentDeps, AgentSettings, ModelRefusal } from './agent-deps.ts';
import { statusMessage, zeroCounters } from './agent-messages.ts';
import { createBoundedQueue } from './bounded-queue.ts';
import { countingPublisher, createCommitStage } from './commit-stage.ts';
import { createDecideStage } from './decide-stage.ts';
import { createIntakeStage } from './intake-stage.ts';
import type { DecidedJob, Job } from './job.ts';
import { createMetricsStage } from './metrics-stage.ts';
import { createRateWindow } from './rate-window.ts';
import { createStatusStage } from './status-stage.ts';
import { createWakeup } from './wakeup.ts';

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
  /** A synchronous inspection (HTTP, gRPC) was answered: counted in the status like a camera image. */
  recordSync(inspection: Inspection, latencyMs: number): void;
  /** The last model metrics message (published every metrics.intervalSeconds); null before the first. */
  metrics(): MetricsMessage | null;
  /** Resolves when the agent has stopped. */
  readonly stopped: Promise<void>;
}

/** Decided images waiting for their commit while the next one is inspected. */
const COMMIT_AHEAD = 1;

export function createAgent(deps: AgentDeps, settings: AgentSettings): Agent {
  const { log, camera, models, outbox, seen } = deps;
  const now = deps.now ?? (() => new Date());
  const topics = topicsFor(settings.topicPrefix);
  const inFlight = Math.max(1, Math.floor(settings.inFlight));
  const counters = zeroCounters();
  const rates = createRateWindow({ startedAtMs: Date.now() });
  const abort = new AbortController();
  const stopping = abort.signal;
  const wakeup = createWakeup();
  // At most inFlight + COMMIT_AHEAD images are in the agent: pulled, and not yet committed.
  const jobs = createBoundedQueue<Job>(inFlight + COMMIT_AHEAD);
  const commits = createBoundedQueue<DecidedJob>(COMMIT_AHEAD);
  // sha256 of the images inspected and not yet in the seen index: at most one per image in the agent.
  const committing = new Set<string>();

  const metrics = createMetricsStage({
    ...deps,
    now,
    thingName: settings.thingName,
    metricsTopic: topics.metrics,
    metrics: settings.metrics ?? DEFAULT_METRICS_CONFIG,
    // Drift events go to /errors through the outbox, as the commit stage sends them (called after start).
    sendError: (input) => commit.sendError(input),
    observer: deps.metricsObserver,
  });
  const status = createStatusStage({
    ...deps,
    metricsSummary: () => metrics.summary(),
    now,
    settings,
    statusTopic: topics.status,
    stopping,
    counters,
    rates,
    queueDepth: () => jobs.size + commits.size + (camera.stats?.().pending ?? 0),
  });
  const hasRoom = () => jobs.size + commits.size < jobs.capacity;
  const intake = createIntakeStage({ ...deps, jobs, hasRoom, wakeup, stopping, status });
  const decide = createDecideStage({ ...deps, settings, jobs, commits, committing, wakeup, stopping, status });
  const commit = createCommitStage({
    ...deps,
    settings,
    topics,
    now,
    commits,
    committing,
    counters,
    rates,
    wakeup,
    stopping,
    status,
    metrics,
  });

  let started = false;
  let loops: Promise<unknown> = Promise.resolve();
  let stopPromise: Promise<void> | undefined;
  const stopped = Promise.withResolvers<void>();

  /** The three loops; each ends once the one before it has ended and its own queue is empty. */
  const runLoops = () => {
    let intakeDone = false;
    let decideDone = false;
    return Promise.all([
      intake.run().finally(() => {
        intakeDone = true;
        wakeup.poke();
      }),
      decide
        .run(() => intakeDone)
        .finally(() => {
          decideDone = true;
          wakeup.poke();
        }),
      commit.run(() => decideDone),
    ]);
  };

  return {
    stopped: stopped.promise,

    async start() {
      if (started) return;
      started = true;
      outbox.start(countingPublisher(deps.publisher, topics.inspections, counters));
      status.start();
      metrics.start();
      loops = runLoops();
      log.info({ thingName: settings.thingName, topics, inFlight }, 'agent started');
    },

    stop(reason) {
      stopPromise ??= (async () => {
        log.info({ reason }, 'agent stopping');
        const last = status.snapshot();
        abort.abort();
        wakeup.poke();
        status.stopTimers();
        metrics.stop();
        const drainMs = settings.shutdownDrainMs ?? 10_000;
        const drained = await Promise.race([
          loops.then(() => true),
          new Promise<false>((r) => setTimeout(() => r(false), drainMs).unref()),
        ]);
        if (!drained) log.warn({ drainMs }, 'images still in flight at shutdown; they stay in the folder');
        const flushed = await outbox.flush(settings.shutdownFlushMs ?? 3000).catch(() => false);
        if (!flushed) log.warn({ pending: outbox.stats().pending }, 'outbox not empty at shutdown; kept on disk');
        await outbox.close().catch((err: unknown) => log.warn({ err }, 'outbox close failed'));
        await status.closeOffline(last, reason);
        await seen.close().catch((err: unknown) => log.warn({ err }, 'seen index close failed'));
        log.info({ counters }, 'agent stopped');
        stopped.resolve();
      })();
      return stopPromise;
    },

    status: () => statusMessage(status.snapshot()),

    metrics: () => metrics.last(),

    recordSync(inspection, latencyMs) {
      counters.inspected += 1;
      counters[inspection.verdict] += 1;
      rates.record(Date.now(), latencyMs);
      metrics.inspected(inspection);
    },

    modelEvent(event) {
      if (event.type === 'rejected') {
        const r = event.refusal;
        status.setLastError(`${r.code}: ${r.message}`);
        log.error({ code: r.code, model: r.model }, `model refused: ${r.message}`);
        void commit.sendError({ kind: 'model-rejected', code: r.code, message: r.message, model: r.model });
      } else {
        log.info({ model: models.status().model }, 'model serving');
      }
      wakeup.poke();
      status.evaluate(true);
    },
  };
}
