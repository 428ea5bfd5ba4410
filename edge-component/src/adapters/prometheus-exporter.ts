/**
 * The opt-in Prometheus endpoint of the model metrics (config `metrics.prometheus`): a small node:http
 * server answering GET /metrics with prom-client's text format, everything else 404. It has no TLS and
 * no authentication: the configuration keeps it on loopback unless `allowRemote` is set.
 *
 * Per model version (labels `model` and `version`):
 * - histograms, observed per image: `edgeqc_best_score` (the ten 0.1 bins of edgeqc.metrics.v1),
 *   `edgeqc_prepare_seconds` and `edgeqc_inference_seconds`; they keep every version served since start;
 * - gauges of the last edgeqc.metrics.v1 message, for the version that serves (a swap replaces them):
 *   the window's images, verdicts, unclear and defect rate, latency p50/p95, quarantines and errors,
 *   the images since the model started serving, and the drift PSI (absent until measured) and flag.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Gauge, Histogram, Registry } from 'prom-client';
import type { MetricsObserver } from '../agent/metrics-stage.ts';
import type { ModelRef } from '../contracts/inspection.ts';
import type { MetricsMessage } from '../contracts/metrics.ts';
import { MetricsCode, MetricsError, messageOf } from '../errors.ts';

export interface PrometheusExporter extends MetricsObserver {
  /** Listens on host:port (port 0: any free port); resolves with the endpoint's URL. */
  listen(options: { readonly host: string; readonly port: number }): Promise<string>;
  /** The exposition text, as GET /metrics answers it. */
  text(): Promise<string>;
  close(): Promise<void>;
}

const SCORE_BUCKETS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];
const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export function createPrometheusExporter(): PrometheusExporter {
  const registry = new Registry();
  const model = ['model', 'version'] as const;
  const histogram = (name: string, help: string, buckets: number[]) =>
    new Histogram({ name, help, buckets, labelNames: model, registers: [registry] });
  const gauge = <L extends string>(name: string, help: string, extra: readonly L[] = []) =>
    new Gauge({ name, help, labelNames: [...model, ...extra], registers: [registry] });

  const bestScore = histogram('edgeqc_best_score', "Each image's best detection score (0 without one).", SCORE_BUCKETS);
  const prepare = histogram('edgeqc_prepare_seconds', 'Per image: decode and preprocess.', SECONDS_BUCKETS);
  const inference = histogram('edgeqc_inference_seconds', 'Per image: the model run.', SECONDS_BUCKETS);
  const images = gauge('edgeqc_window_images', 'Inspections in the rolling window.');
  const verdicts = gauge('edgeqc_window_verdicts', 'Verdicts in the rolling window.', ['verdict']);
  const unclearRate = gauge('edgeqc_window_unclear_rate', 'Share of unclear verdicts in the rolling window.');
  const defectRate = gauge('edgeqc_window_defect_rate', 'Share of defect verdicts in the rolling window.');
  const latency = gauge('edgeqc_window_latency_seconds', 'Latency percentiles in the rolling window.', [
    'stage',
    'quantile',
  ]);
  const quarantined = gauge('edgeqc_window_quarantined', 'Files quarantined in the rolling window.');
  const errors = gauge('edgeqc_window_errors', 'Failed inspections in the rolling window.');
  const sinceModel = gauge('edgeqc_model_images', 'Inspections since this model version started serving.');
  const psi = gauge('edgeqc_drift_psi', "PSI of the window's best-score histogram vs the baseline.");
  const drifted = gauge('edgeqc_drifted', '1 when the drift PSI is above its limit.');
  const windowGauges = [
    images,
    verdicts,
    unclearRate,
    defectRate,
    latency,
    quarantined,
    errors,
    sinceModel,
    psi,
    drifted,
  ];

  const labelsOf = (m: ModelRef) => ({ model: m.name, version: m.version });
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n');
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${messageOf(err)}\n`),
    );
  });

  return {
    image(m, sample) {
      const labels = labelsOf(m);
      bestScore.observe(labels, sample.bestScore);
      prepare.observe(labels, sample.prepareMs / 1000);
      inference.observe(labels, sample.inferenceMs / 1000);
    },
    message(m: MetricsMessage) {
      for (const g of windowGauges) g.reset();
      const labels = labelsOf(m.model);
      images.set(labels, m.images);
      for (const v of ['ok', 'defect', 'unclear'] as const) verdicts.set({ ...labels, verdict: v }, m.verdicts[v]);
      unclearRate.set(labels, m.unclearRate);
      defectRate.set(labels, m.defectRate);
      for (const stage of ['prepare', 'inference'] as const) {
        latency.set({ ...labels, stage, quantile: '0.5' }, m.latencyMs[stage].p50 / 1000);
        latency.set({ ...labels, stage, quantile: '0.95' }, m.latencyMs[stage].p95 / 1000);
      }
      quarantined.set(labels, m.quarantined);
      errors.set(labels, m.errors);
      sinceModel.set(labels, m.sinceModel.images);
      if (m.drift.psi !== null) psi.set(labels, m.drift.psi);
      drifted.set(labels, m.drift.drifted ? 1 : 0);
    },
    text: () => registry.metrics(),
    listen({ host, port }) {
      return new Promise((resolve, reject) => {
        const fail = (err: Error) =>
          reject(
            new MetricsError(
              MetricsCode.PrometheusListenFailed,
              `the Prometheus endpoint (metrics.prometheus) could not listen on ${host}:${port}: ${err.message}`,
              { cause: err },
            ),
          );
        server.once('error', fail);
        server.listen(port, host, () => {
          server.off('error', fail);
          const { address, port: bound } = server.address() as AddressInfo;
          resolve(`http://${address.includes(':') ? `[${address}]` : address}:${bound}/metrics`);
        });
      });
    },
    close() {
      if (!server.listening) return Promise.resolve();
      return new Promise((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
