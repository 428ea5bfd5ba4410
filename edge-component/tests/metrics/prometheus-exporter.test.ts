/** The Prometheus endpoint (adapters/prometheus-exporter.ts) scraped over real HTTP. */
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createPrometheusExporter, type PrometheusExporter } from '../../src/adapters/prometheus-exporter.ts';
import { createModelMetrics } from '../../src/metrics/model-metrics.ts';
import { modelA, modelB, samples } from './fixtures.ts';

const T0 = Date.UTC(2026, 11, 7, 18, 0, 0);
const open: PrometheusExporter[] = [];
afterEach(async () => {
  for (const e of open.splice(0)) await e.close();
});

describe('the Prometheus endpoint', () => {
  it('serves per-version histograms and the gauges of the serving version on GET /metrics', async () => {
    const exporter = createPrometheusExporter();
    open.push(exporter);
    const url = await exporter.listen({ host: '127.0.0.1', port: 0 });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const metrics = createModelMetrics({
      windowSeconds: 600,
      windowImages: 50,
      drift: { baselineImages: 10, psiLimit: 0.25 },
    });
    for (const [model, scores] of [
      [modelA, [0, 0.95]],
      [modelB, [0.3]],
    ] as const) {
      metrics.serving(model, T0);
      for (const s of samples(10, T0, scores)) {
        metrics.inspected(model, s);
        exporter.image(model, s);
      }
      const measured = metrics.message(T0 + 20_000, { thingName: 'line-1', messageId: `m-${model.version}` });
      if (measured) exporter.message(measured.message);
    }
    const response = await fetch(url);
    expect(response.status).toBe(200);
    const text = await response.text();
    const a = 'model="tag-scratch",version="1.0.0"';
    const b = 'model="tag-scratch",version="1.1.0"';
    // Histograms keep both versions: 5 of A's 10 images score 0, all 10 of B's score 0.3 (bucket 0.4 and up).
    expect(text).toContain(`edgeqc_best_score_bucket{le="0.1",${a}} 5`);
    expect(text).toContain(`edgeqc_best_score_bucket{le="1",${a}} 10`);
    expect(text).toContain(`edgeqc_best_score_bucket{le="0.2",${b}} 0`);
    expect(text).toContain(`edgeqc_best_score_bucket{le="0.4",${b}} 10`);
    expect(text).toContain(`edgeqc_inference_seconds_count{${b}} 10`);
    // Gauges: only the version that serves now.
    expect(text).toContain(`edgeqc_window_images{${b}} 10`);
    expect(text).not.toContain(`edgeqc_window_images{${a}}`);
    expect(text).toContain(`edgeqc_window_verdicts{${b},verdict="unclear"} 10`);
    expect(text).toContain(`edgeqc_window_unclear_rate{${b}} 1`);
    expect(text).toContain(`edgeqc_window_latency_seconds{${b},stage="inference",quantile="0.95"} 0.02`);
    expect(text).toContain(`edgeqc_drift_psi{${b}} 0`);
    expect(text).toContain(`edgeqc_drifted{${b}} 0`);
    expect((await fetch(url, { method: 'POST' })).status).toBe(404);
  });

  it('refuses to start on a port in use with METRICS_PROMETHEUS_LISTEN_FAILED, naming host and port', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    try {
      const exporter = createPrometheusExporter();
      open.push(exporter);
      await expect(exporter.listen({ host: '127.0.0.1', port })).rejects.toMatchObject({
        code: 'METRICS_PROMETHEUS_LISTEN_FAILED',
        message: expect.stringContaining(`could not listen on 127.0.0.1:${port}`),
      });
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
