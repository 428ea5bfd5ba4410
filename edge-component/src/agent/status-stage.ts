/**
 * The status stage: what state the agent is in and why (online; degraded while no model serves, the
 * outbox is full or a full disk pauses the camera source; offline when stopping), the retained status
 * on <prefix>/status (every `statusIntervalSec`, on every change of state, reason or model, and after
 * the publisher reconnects),
 * the Greengrass lifecycle state (RUNNING once a model serves, ERRORED when a bundle was refused and
 * none serves), and the last error the other stages noted.
 */
import type { AgentState, Status } from '../contracts/status.ts';
import type { Logger } from '../log.ts';
import type { CameraSource, LifecycleReporter, Outbox, Publisher } from '../ports.ts';
import type { AgentSettings, ModelProvider } from './agent-deps.ts';
import { type AgentCounters, jsonBytes, offlineStatus, type StatusSnapshot, statusMessage } from './agent-messages.ts';
import type { RateWindow } from './rate-window.ts';
import { TICK_MS } from './wakeup.ts';

export interface StatusStageDeps {
  readonly log: Logger;
  readonly models: ModelProvider;
  readonly outbox: Outbox;
  readonly publisher: Publisher;
  readonly lifecycle?: LifecycleReporter;
  readonly now: () => Date;
  readonly settings: Pick<AgentSettings, 'thingName' | 'agentVersion' | 'statusIntervalSec'>;
  readonly statusTopic: string;
  /** Aborted when the agent stops. */
  readonly stopping: AbortSignal;
  readonly counters: AgentCounters;
  readonly rates: RateWindow;
  /** Images in the agent and waiting at the camera. */
  queueDepth(): number;
  /** The camera source: while it is paused (the disk is full) the state is degraded with its reason. */
  readonly camera?: Pick<CameraSource, 'paused'>;
  /** The last model metrics' summary (the metrics stage's). */
  metricsSummary?(): Status['metrics'];
}

export interface StatusStage {
  /** Publishes the first status and starts the state check and the heartbeat. */
  start(): void;
  /** Stops the state check and the heartbeat. */
  stopTimers(): void;
  /** Publishes the status when the state, reason or model changed (or `force`); reports the lifecycle. */
  evaluate(force?: boolean): void;
  snapshot(): StatusSnapshot;
  /** Notes an error for the status (`lastError`) and logs it. */
  noteError(message: string, err?: unknown): void;
  /** Notes an error for the status that the caller has logged. */
  setLastError(message: string): void;
  /** After the status publishes under way: the `offline` status (on `last`) as the publisher's goodbye. */
  closeOffline(last: StatusSnapshot, reason: string): Promise<void>;
}

export function createStatusStage(deps: StatusStageDeps): StatusStage {
  const { log, models, outbox, publisher, settings } = deps;
  let started = false;
  let lastError: string | null = null;
  let lastPublishedKey = '';
  let wasConnected = false;
  let reportedLifecycle: 'RUNNING' | 'ERRORED' | undefined;
  let statusChain: Promise<void> = Promise.resolve();
  let ticker: NodeJS.Timeout | undefined;
  let heartbeat: NodeJS.Timeout | undefined;

  const noteError = (message: string, err?: unknown) => {
    lastError = message;
    log.warn({ err }, message);
  };

  const condition = (): { state: AgentState; reason?: string } => {
    if (deps.stopping.aborted) return { state: 'offline', reason: 'the agent is stopping' };
    const m = models.status();
    if (models.current() === null) {
      if (m.stopped) return { state: 'degraded', reason: 'the model was stopped on request (StopModel)' };
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
    const paused = deps.camera?.paused?.();
    if (paused !== undefined) return { state: 'degraded', reason: paused };
    return { state: 'online' };
  };

  const snapshot = (): StatusSnapshot => {
    const m = models.status();
    const c = condition();
    const t = deps.now();
    return {
      thingName: settings.thingName,
      agentVersion: settings.agentVersion,
      state: c.state,
      reason: c.reason,
      at: t,
      model: m.model,
      selfTest: m.selfTest,
      imagesPerSecond: deps.rates.imagesPerSecond(t.getTime()),
      latencyMs: deps.rates.latency(t.getTime()),
      queueDepth: deps.queueDepth(),
      outbox: outbox.stats(),
      counters: { ...deps.counters },
      lastError,
      metrics: deps.metricsSummary?.(),
    };
  };

  const publishStatus = (status: Status): Promise<void> => {
    statusChain = statusChain.then(async () => {
      if (!publisher.isConnected()) return;
      try {
        await publisher.publish({ topic: deps.statusTopic, payload: jsonBytes(status), qos: 1, retain: true });
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

  const evaluate = (force = false) => {
    if (!started || deps.stopping.aborted) return;
    if (models.current() !== null) reportLifecycle('RUNNING');
    else if (models.status().lastRefusal) reportLifecycle('ERRORED');
    const connected = publisher.isConnected();
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

  return {
    start() {
      started = true;
      wasConnected = publisher.isConnected();
      evaluate(true);
      ticker = setInterval(() => evaluate(), TICK_MS);
      heartbeat = setInterval(() => evaluate(true), Math.max(1, settings.statusIntervalSec) * 1000);
    },
    stopTimers() {
      if (ticker) clearInterval(ticker);
      if (heartbeat) clearInterval(heartbeat);
    },
    evaluate,
    snapshot,
    noteError,
    setLastError(message) {
      lastError = message;
    },
    async closeOffline(last, reason) {
      await statusChain;
      const final = offlineStatus({ ...last, ...snapshot(), at: deps.now() }, reason);
      await publisher
        .close({ topic: deps.statusTopic, payload: jsonBytes(final), qos: 1, retain: true })
        .catch((err: unknown) => log.warn({ err }, 'publisher close failed'));
    },
  };
}
