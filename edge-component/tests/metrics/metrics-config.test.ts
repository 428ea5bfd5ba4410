import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { configOverrides } from '../../src/config/load-config.ts';
import { DEFAULT_METRICS_CONFIG } from '../../src/config/metrics-schemas.ts';
import { parseAgentConfig } from '../../src/config/schema.ts';
import { AgentConfigError } from '../../src/errors.ts';

const key = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
const parse = (metrics: unknown) =>
  parseAgentConfig({ cameraDir: 'camera', trustedKeys: [key], metrics }, { baseDir: '/srv/gg' });

describe('the metrics configuration section', () => {
  it('defaults to a 30 s interval, a window of 500 images or 15 minutes, PSI 0.25 over 200 images, no endpoint', () => {
    expect(parse(undefined).metrics).toEqual({
      intervalSeconds: 30,
      windowSeconds: 900,
      windowImages: 500,
      drift: { baselineImages: 200, psiLimit: 0.25 },
      prometheus: { port: 0, host: '127.0.0.1', allowRemote: false },
    });
    expect(DEFAULT_METRICS_CONFIG).toEqual(parse(undefined).metrics);
  });

  it('fills the keys left out of a partial section', () => {
    expect(parse({ drift: { psiLimit: 0.1 }, prometheus: { port: 9464 } }).metrics).toMatchObject({
      intervalSeconds: 30,
      drift: { baselineImages: 200, psiLimit: 0.1 },
      prometheus: { port: 9464, host: '127.0.0.1' },
    });
  });

  it('takes every key from EDGEQC_METRICS_* variables as from the file', async () => {
    const overrides = await configOverrides({
      env: {
        EDGEQC_METRICS_INTERVAL_SECONDS: '5',
        EDGEQC_METRICS_DRIFT_PSI_LIMIT: '0.1',
        EDGEQC_METRICS_PROMETHEUS_PORT: '9464',
      },
    });
    expect(parse(overrides.metrics).metrics).toMatchObject({
      intervalSeconds: 5,
      drift: { psiLimit: 0.1 },
      prometheus: { port: 9464 },
    });
  });

  it('listens beyond loopback only with allowRemote', () => {
    expect(parse({ prometheus: { port: 9464, host: '0.0.0.0', allowRemote: true } }).metrics.prometheus.host).toBe(
      '0.0.0.0',
    );
    expect(parse({ prometheus: { host: '::1' } }).metrics.prometheus.host).toBe('::1');
  });

  it.each([
    [{ intervalSeconds: 0 }, 'metrics.intervalSeconds: expected an integer from 1 to 3600, got 0'],
    [{ windowSeconds: 5 }, 'metrics.windowSeconds: expected an integer from 10 to 86400, got 5'],
    [{ windowImages: 1_000_000 }, 'metrics.windowImages: expected an integer from 10 to 100000, got 1000000'],
    [
      { drift: { baselineImages: 2.5 } },
      'metrics.drift.baselineImages: expected an integer from 10 to 100000, got 2.5',
    ],
    [{ drift: { psiLimit: 0 } }, 'metrics.drift.psiLimit: expected a number above 0 and at most 10, got 0'],
    [{ prometheus: { port: 70_000 } }, 'metrics.prometheus.port: expected a TCP port from 0 to 65535, got 70000'],
    [{ prometheus: { host: '0.0.0.0' } }, 'metrics.prometheus.host: expected a loopback host'],
    [{ sampling: 2 }, 'metrics'],
  ])('refuses %j at start, naming the key and the value', (metrics, message) => {
    expect(() => parse(metrics)).toThrow(AgentConfigError);
    expect(() => parse(metrics)).toThrow(message);
  });
});
