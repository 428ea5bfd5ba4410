/**
 * The `metrics` section: how often the model metrics are published on <prefix>/metrics, the rolling
 * window they are over, the drift check, and the opt-in Prometheus endpoint. Every bound is explicit;
 * a value beyond one is refused at start with its key and value (the bounds keep the window's memory
 * bounded and a publish interval within what a rollout's bake period can wait for).
 */
import { z } from 'zod';
import { isLoopbackHost } from '../adapters/mqtt-url.ts';
import { int } from './schema-builders.ts';

/** Most images one window (and the drift baseline) holds: a few numbers each, bounded memory. */
export const MAX_WINDOW_IMAGES = 100_000;

const DriftConfigSchema = z
  .strictObject({
    baselineImages: int(`an integer from 10 to ${MAX_WINDOW_IMAGES}`, 10, MAX_WINDOW_IMAGES)
      .default(200)
      .describe('The baseline: the first this many images after a model version starts serving here.'),
    psiLimit: z
      .number({ error: 'expected a number above 0 and at most 10' })
      .gt(0, { error: 'expected a number above 0 and at most 10' })
      .max(10, { error: 'expected a number above 0 and at most 10' })
      .default(0.25)
      .describe(
        "Population stability index of the window's best-score histogram vs the baseline above which the model " +
          'has drifted (a MODEL_DRIFT event on <prefix>/errors once per crossing). 0.25: a significant shift.',
      ),
  })
  .describe("Drift: the window's best-score histogram against the one right after the model was deployed.");

const PrometheusConfigSchema = z
  .strictObject({
    port: int('a TCP port from 0 to 65535', 0, 65_535)
      .default(0)
      .describe('Port of the Prometheus endpoint (GET /metrics); 0: no endpoint.'),
    host: z
      .string({ error: 'expected a host name or IP address' })
      .min(1, { error: 'expected a host name or IP address' })
      .default('127.0.0.1')
      .describe('Address to listen on: loopback unless allowRemote is true.'),
    allowRemote: z
      .boolean({ error: 'expected true or false' })
      .default(false)
      .describe(
        'Allow a host beyond loopback (the endpoint has no TLS and no authentication: a trusted network only).',
      ),
  })
  .refine((p) => p.allowRemote || isLoopbackHost(p.host), {
    error: 'expected a loopback host (127.0.0.1, ::1, localhost), or allowRemote: true to listen beyond loopback',
    path: ['host'],
  })
  .describe('The opt-in Prometheus endpoint (off unless port is set; loopback unless allowRemote).');

export const MetricsConfigSchema = z
  .strictObject({
    intervalSeconds: int('an integer from 1 to 3600', 1, 3600)
      .default(30)
      .describe('Period of the edgeqc.metrics.v1 message on <prefix>/metrics.'),
    windowSeconds: int('an integer from 10 to 86400', 10, 86_400)
      .default(900)
      .describe('The rolling window holds inspections at most this old...'),
    windowImages: int(`an integer from 10 to ${MAX_WINDOW_IMAGES}`, 10, MAX_WINDOW_IMAGES)
      .default(500)
      .describe('...and at most this many (the newest).'),
    drift: DriftConfigSchema.default({ baselineImages: 200, psiLimit: 0.25 }),
    prometheus: PrometheusConfigSchema.default({ port: 0, host: '127.0.0.1', allowRemote: false }),
  })
  .describe('Model metrics per model version: rolling window, drift, publishing and the Prometheus endpoint.');

export type MetricsConfig = z.output<typeof MetricsConfigSchema>;

/** The section's defaults (what an agent without a `metrics` section runs with). */
export const DEFAULT_METRICS_CONFIG: MetricsConfig = Object.freeze(MetricsConfigSchema.parse({}));
