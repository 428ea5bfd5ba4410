/**
 * The agent's wiring loads the packages of its optional servers only when they are configured: an
 * agent with the HTTP API, the gRPC socket and the Prometheus endpoint off (their defaults) does not
 * carry fastify, @grpc/grpc-js, @grpc/proto-loader or prom-client in its memory. Checked in a fresh
 * Node process (these are CommonJS packages: loaded, they appear in the require cache).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const RUNTIME = fileURLToPath(new URL('../../src/runtime/agent-runtime.ts', import.meta.url));
const EXPORTER = fileURLToPath(new URL('../../src/adapters/prometheus-exporter.ts', import.meta.url));
const SYNC_SERVICE = fileURLToPath(new URL('../../src/sync/http/start-http-server.ts', import.meta.url));
const OPTIONAL = ['fastify', '@grpc/grpc-js', '@grpc/proto-loader', 'prom-client'];

/** The optional packages in the require cache after importing `modules` in a fresh process. */
async function loadedAfter(modules: readonly string[]): Promise<string[]> {
  const script = `
    for (const m of ${JSON.stringify(modules)}) await import(m);
    const { createRequire } = await import('node:module');
    const keys = Object.keys(createRequire(import.meta.url).cache);
    const loaded = ${JSON.stringify(OPTIONAL)}.filter((p) => keys.some((k) => k.includes('/node_modules/' + p + '/')));
    process.stdout.write(JSON.stringify(loaded));`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    timeout: 60_000,
  });
  return JSON.parse(stdout) as string[];
}

describe('the agent runtime at start', () => {
  it('does not load the HTTP API, gRPC or Prometheus packages until they are configured', async () => {
    expect(await loadedAfter([RUNTIME])).toEqual([]);
  });

  it('the check sees them once their modules are imported (it can fail)', async () => {
    expect(await loadedAfter([RUNTIME, EXPORTER, SYNC_SERVICE])).toEqual(
      expect.arrayContaining(['fastify', 'prom-client']),
    );
  });
});
