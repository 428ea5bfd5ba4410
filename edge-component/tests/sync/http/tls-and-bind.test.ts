import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpApiError } from '../../../src/errors.ts';
import { silentLogger } from '../../../src/log.ts';
import { buildHttpApp } from '../../../src/sync/http/build-http-app.ts';
import { isLoopbackHost, resolveHttpApiOptions } from '../../../src/sync/http/http-api-options.ts';
import { startHttpServer } from '../../../src/sync/http/start-http-server.ts';
import { fakeInspectionService } from '../fake-inspection-service.ts';
import { JPEG, type RunningApi, rawRequest, startApi } from './http-harness.ts';

// Test-only material, see tests/support/tls/README.md: a test CA, a server certificate for localhost and
// 127.0.0.1, a device certificate from the same CA and a self-signed one no CA vouches for.
const pem = (name: string) => readFileSync(join(import.meta.dirname, '../../support/tls', name), 'utf8');
const CA = pem('ca.pem');
const SERVER = { certPem: pem('server.pem'), keyPem: pem('server.key') };
const DEVICE = { cert: pem('device.pem'), key: pem('device.key') };
const UNTRUSTED = { cert: pem('untrusted.pem'), key: pem('untrusted.key') };
const TOKEN = 'tls-test-token-0123456789';

const inspectOverTls = (url: string, client: { cert?: string; key?: string; token?: string }) =>
  rawRequest(`${url}/v1/inspect`, {
    method: 'POST',
    headers: { 'content-type': 'image/jpeg', ...(client.token ? { authorization: `Bearer ${client.token}` } : {}) },
    body: JPEG,
    ca: CA,
    ...(client.cert ? { cert: client.cert, key: client.key } : {}),
  });

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof HttpApiError ? err.code : err;
  }
  return 'no error';
};

describe('TLS, client certificates and the bind address', () => {
  let api: RunningApi | undefined;
  afterEach(async () => {
    await api?.server.close();
    api = undefined;
  });

  it('serves HTTPS with the configured certificate; a client that does not trust it fails', async () => {
    api = await startApi({ tls: SERVER, authToken: TOKEN });
    expect(api.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const res = await inspectOverTls(api.url, { token: TOKEN });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body).schema).toBe('edgeqc.inspection.v1');
    await expect(fetch(`${api.url}/healthz`)).rejects.toThrow();
    await expect(fetch(`${api.url.replace('https:', 'http:')}/healthz`)).rejects.toThrow();
  });

  it('with tls.caPem requires a client certificate from that CA', async () => {
    api = await startApi({ tls: { ...SERVER, caPem: CA } });
    expect((await inspectOverTls(api.url, DEVICE)).status).toBe(200);
    await expect(inspectOverTls(api.url, {})).rejects.toThrow();
    await expect(inspectOverTls(api.url, UNTRUSTED)).rejects.toThrow();
    expect(api.fake.calls).toHaveLength(1);
  });

  it('refuses to bind beyond loopback without TLS, naming what is missing, before anything listens', async () => {
    const service = fakeInspectionService();
    for (const host of ['0.0.0.0', '::', '192.168.1.20', 'line7.example']) {
      const refused = startHttpServer({ service, log: silentLogger() }, { host, authToken: TOKEN });
      await expect(refused).rejects.toMatchObject({
        code: 'HTTP_INSECURE_BIND',
        message: expect.stringContaining('TLS'),
      });
      expect(codeOf(() => buildHttpApp({ service, log: silentLogger() }, { host }))).toBe('HTTP_INSECURE_BIND');
    }
    const tlsOnly = startHttpServer({ service, log: silentLogger() }, { host: '0.0.0.0', tls: SERVER });
    await expect(tlsOnly).rejects.toMatchObject({
      code: 'HTTP_INSECURE_BIND',
      message: expect.stringContaining('token or client certificates'),
    });
    expect(service.calls).toHaveLength(0);
  });

  it('binds beyond loopback with TLS and a token', async () => {
    api = await startApi({ host: '0.0.0.0', tls: SERVER, authToken: TOKEN });
    const port = new URL(api.url).port;
    const res = await inspectOverTls(`https://127.0.0.1:${port}`, { token: TOKEN });
    expect(res.status).toBe(200);
    expect((await inspectOverTls(`https://127.0.0.1:${port}`, {})).status).toBe(401);
  });

  it('counts 127.0.0.0/8, ::1 and localhost as loopback, and nothing else', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'LOCALHOST', '::ffff:127.0.0.1']) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
    for (const host of ['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', 'localhost.example', 'myhost', '::2']) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });

  it('refuses out-of-range options with HTTP_BAD_OPTIONS, and a short token without echoing it', () => {
    for (const options of [
      { port: -1 },
      { port: 70_000 },
      { maxBodyBytes: 0 },
      { maxBodyBytes: 1.5 },
      { requestTimeoutMs: 0 },
      { host: '' },
      { tls: { certPem: '', keyPem: 'k' } },
      { tls: { ...SERVER, caPem: ' ' } },
      { authToken: 'short' },
      { authToken: 'has a space in it, long enough' },
    ]) {
      expect(
        codeOf(() => resolveHttpApiOptions(options)),
        JSON.stringify(options),
      ).toBe('HTTP_BAD_OPTIONS');
    }
    expect(codeOf(() => resolveHttpApiOptions({ authToken: 'short-secret' }))).toBe('HTTP_BAD_OPTIONS');
    try {
      resolveHttpApiOptions({ authToken: 'short-secret' });
    } catch (err) {
      expect(String(err)).not.toContain('short-secret');
    }
    expect(resolveHttpApiOptions()).toEqual({
      host: '127.0.0.1',
      port: 0,
      maxBodyBytes: 20 * 1024 * 1024,
      requestTimeoutMs: 30_000,
      tls: undefined,
      authToken: undefined,
    });
  });

  it('reports a port already in use as HTTP_LISTEN_FAILED', async () => {
    api = await startApi();
    const port = Number(new URL(api.url).port);
    const again = startHttpServer({ service: fakeInspectionService(), log: silentLogger() }, { port });
    await expect(again).rejects.toMatchObject({
      code: 'HTTP_LISTEN_FAILED',
      message: expect.stringContaining(String(port)),
    });
  });
});
