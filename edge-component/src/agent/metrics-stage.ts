/**
 * The metrics stage: feeds the model metrics (metrics/model-metrics.ts) from the commit stage's
 * outcomes and publishes an edgeqc.metrics.v1 message on <prefix>/metrics every
 * `metrics.intervalSeconds`, checked against its schema first.
 *
 * Delivery: straight through the publisher (QoS 1, not retained), not through the durable outbox.
 * Metrics are periodic and each message carries the cumulative `sinceModel` figures, so a message lost
 * while the broker is away loses nothing the next one does not carry; the outbox stays for the
 * inspections. A drift crossing is an event: it goes to <prefix>/errors through the outbox (kind
 * `drift`, code MODEL_DRIFT, with the figures), once per crossing.
 */
import { randomUUID } from 'node:crypto';
import type { Inspection, ModelRef } from '../contracts/inspection.ts';
import type { MetricsMessage } from '../contracts/metrics.ts';
import type { Status } from '../contracts/status.ts';
import { MetricsCode } from '../errors.ts';
import type { Logger } from '../log.ts';
import { type ImageSample, imageSampleOf } from '../metrics/image-sample.ts';
import { createModelMetrics, type DriftCrossing, type ModelMetricsSettings } from '../metrics/model-metrics.ts';
import type { WindowEventKind } from '../metrics/rolling-window.ts';
import type { Publisher } from '../ports.ts';
import type { ModelProvider } from './agent-deps.ts';
import { jsonBytes } from './agent-messages.ts';
import type { ErrorEventInput } from './commit-stage.ts';

export interface MetricsSettings extends ModelMetricsSettings {
  /** Period of the message on <prefix>/metrics. */
  readonly intervalSeconds: number;
}

/** Port: what else wants the figures (the Prometheus exporter): each image, and each message. */
export interface MetricsObserver {
  image(model: ModelRef, sample: ImageSample): void;
  message(message: MetricsMessage): void;
}

export interface MetricsStageDeps {
  readonly log: Logger;
  readonly models: Pick<ModelProvider, 'status'>;
  readonly publisher: Publisher;
  readonly now: () => Date;
  readonly thingName: string;
  readonly metricsTopic: string;
  readonly metrics: MetricsSettings;
  /** Appends an error event to the outbox (the commit stage's). */
  sendError(input: ErrorEventInput): Promise<boolean>;
  readonly observer?: MetricsObserver;
}

export interface MetricsStage {
  /** A committed inspection (camera or synchronous). */
  inspected(inspection: Inspection): void;
  /** A quarantined file, or an inspection that failed. */
  event(kind: WindowEventKind): void;
  /** Measures and publishes now; resolves when the publish is over (published or skipped). */
  publish(): Promise<void>;
  start(): void;
  stop(): void;
  /** The last message published (or measured), null before the first. */
  last(): MetricsMessage | null;
  /** The status message's summary of the last message. */
  summary(): Status['metrics'];
}

export function createMetricsStage(deps: MetricsStageDeps): MetricsStage {
  const { log, publisher } = deps;
  const metrics = createModelMetrics(deps.metrics);
  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<void> = Promise.resolve();

  const raiseDrift = (c: DriftCrossing) => {
    const figures = `PSI ${c.psi.toFixed(3)} > limit ${c.limit} over ${c.windowImages} images vs the first ${c.baselineImages}`;
    log.warn({ model: c.model, psi: c.psi, limit: c.limit }, 'model drift: the best-score histogram moved');
    void deps
      .sendError({
        kind: 'drift',
        code: MetricsCode.Drift,
        message: `model ${c.model.name} ${c.model.version} drifted on this line: ${figures}`,
        model: { name: c.model.name, version: c.model.version },
        drift: {
          psi: c.psi,
          limit: c.limit,
          baselineImages: c.baselineImages,
          windowImages: c.windowImages,
          modelSha256: c.model.sha256,
        },
      })
      .then((stored) => {
        if (!stored) log.warn({ model: c.model }, 'the drift event could not be stored');
      });
  };

  const publishOnce = async () => {
    const t = deps.now();
    metrics.serving(deps.models.status().model, t.getTime());
    const measured = metrics.message(t.getTime(), { thingName: deps.thingName, messageId: randomUUID() });
    if (measured === null) return;
    deps.observer?.message(measured.message);
    if (measured.crossing) raiseDrift(measured.crossing);
    if (!publisher.isConnected()) {
      log.debug('metrics not published: not connected (the next message carries the cumulative figures)');
      return;
    }
    try {
      await publisher.publish({ topic: deps.metricsTopic, payload: jsonBytes(measured.message), qos: 1 });
    } catch (err) {
      log.debug({ err }, 'metrics not published (the next message carries the cumulative figures)');
    }
  };

  const publish = () => {
    chain = chain.then(publishOnce).catch((err: unknown) => log.error({ err }, 'metrics could not be measured'));
    return chain;
  };

  return {
    inspected(inspection) {
      const sample = imageSampleOf(inspection, deps.now().getTime());
      // The version the manager serves now: an image of the old one, in flight across a swap, is not counted.
      metrics.serving(deps.models.status().model, sample.atMs);
      if (metrics.inspected(inspection.model, sample)) deps.observer?.image(inspection.model, sample);
    },
    event(kind) {
      metrics.event(kind, deps.now().getTime());
    },
    publish,
    start() {
      metrics.serving(deps.models.status().model, deps.now().getTime());
      timer = setInterval(() => void publish(), deps.metrics.intervalSeconds * 1000);
    },
    stop() {
      if (timer) clearInterval(timer);
    },
    last: () => metrics.last(),
    summary() {
      const m = metrics.last();
      if (m === null) return undefined;
      return {
        at: m.publishedAt,
        modelVersion: m.model.version,
        images: m.images,
        sinceModel: m.sinceModel.images,
        unclearRate: m.unclearRate,
        defectRate: m.defectRate,
        inferenceP95Ms: m.latencyMs.inference.p95,
        psi: m.drift.psi,
        drifted: m.drift.drifted,
      };
    },
  };
}
