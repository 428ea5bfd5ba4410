/**
 * moto_server (the AWS emulator; scripts/install-test-tools.sh installs it) on a free local port, with
 * the settings that point AWS SDK v3 clients and the `edgeqc` commands at it. The tests that talk to
 * AWS APIs start one per file (`startMotoServer()` in beforeAll, `stop()` in afterAll).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { LocalModeError } from '../errors.ts';

/** SDK v3 client configuration for the emulator (static fake credentials). */
export interface MotoClientConfig {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

export interface MotoServer {
  readonly endpoint: string;
  readonly config: MotoClientConfig;
  /** The same settings as environment variables, for commands that read their `io.env`. */
  readonly env: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

export interface MotoServerOptions {
  /** The region clients are configured for. Default: `us-east-1`. */
  readonly region?: string;
  /** How long to wait for the server to answer before giving up. Default: 30 000 ms. */
  readonly startTimeoutMs?: number;
}

async function freePort(): Promise<number> {
  const srv = createServer().listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const address = srv.address();
  srv.close();
  await once(srv, 'close');
  if (!address || typeof address === 'string') throw new LocalModeError('MOTO_START_FAILED', 'no free local port');
  return address.port;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

export async function startMotoServer(options: MotoServerOptions = {}): Promise<MotoServer> {
  const region = options.region ?? 'us-east-1';
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const port = await freePort();
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (b: Buffer) => {
    log = (log + b.toString()).slice(-4000);
  });
  let spawnError: Error | undefined;
  child.once('error', (err) => {
    spawnError = err;
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    if (spawnError) {
      throw new LocalModeError('MOTO_START_FAILED', 'moto_server cannot be started (is it on PATH?)', {
        cause: spawnError,
      });
    }
    if (child.exitCode !== null) {
      throw new LocalModeError('MOTO_START_FAILED', `moto_server exited with ${child.exitCode}: ${log}`);
    }
    const up = await fetch(`${endpoint}/moto-api/`).then(
      (r) => r.status < 500,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline) {
      await stopProcess(child);
      throw new LocalModeError(
        'MOTO_START_FAILED',
        `moto_server not answering on port ${port} after ${startTimeoutMs} ms: ${log}`,
      );
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
  return {
    endpoint,
    config: { endpoint, region, credentials },
    env: {
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    },
    stop: () => stopProcess(child),
  };
}
