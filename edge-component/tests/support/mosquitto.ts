/**
 * Starts a real Mosquitto (/usr/sbin/mosquitto, or $MOSQUITTO) on a free local port for one test, and
 * stops it; `kill` and `restart` take it down and bring it back on the same port.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface MosquittoHandle {
  readonly url: string;
  readonly port: number;
  /** Stops the broker for good and removes its config. */
  stop(): Promise<void>;
  /** Stops the process only (the broker is down until `restart`). */
  kill(): Promise<void>;
  /** Starts it again on the same port (after `kill`). */
  restart(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i += 1) {
    if (child.exitCode !== null) throw new Error(`mosquitto exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`mosquitto did not listen on ${port}`);
}

export interface MosquittoOptions {
  /** Default: a free port. */
  readonly port?: number;
  /** A TLS listener that requires a client certificate signed by `caPath` (mutual TLS, as AWS IoT Core). */
  readonly tls?: { readonly caPath: string; readonly certPath: string; readonly keyPath: string };
  /**
   * An `acl_file` that allows (read and write) only these topic patterns to every client: a publish to
   * any other topic is denied (MQTT 5 clients get PUBACK 135 Not authorized; 3.1.1 clients a PUBACK and
   * nothing delivered).
   */
  readonly allowTopics?: readonly string[];
  /** `message_size_limit`: larger payloads are refused (MQTT 5: PUBACK 149 Packet too large). */
  readonly messageSizeLimit?: number;
}

export async function startMosquitto(options: MosquittoOptions = {}): Promise<MosquittoHandle> {
  const port = options.port ?? (await freePort());
  const dir = await mkdtemp(join(tmpdir(), 'edgeqc-mosquitto-'));
  const conf = join(dir, 'mosquitto.conf');
  // Mosquitto started as root drops to the `mosquitto` user before reading the TLS files: give it
  // world-readable copies in a world-readable folder (test-only material).
  let tls = '';
  if (options.tls) {
    await chmod(dir, 0o755);
    const copy = async (from: string, name: string) => {
      const to = join(dir, name);
      await copyFile(from, to);
      await chmod(to, 0o644);
      return to;
    };
    const ca = await copy(options.tls.caPath, 'ca.pem');
    const cert = await copy(options.tls.certPath, 'server.pem');
    const key = await copy(options.tls.keyPath, 'server.key');
    tls = `cafile ${ca}\ncertfile ${cert}\nkeyfile ${key}\nrequire_certificate true\nuse_identity_as_username true\n`;
  }
  let limits = '';
  if (options.allowTopics) {
    // Read by the `mosquitto` user when started as root (see TLS above).
    await chmod(dir, 0o755);
    const acl = join(dir, 'acl');
    // `pattern` lines apply to every client, with or without a user name (aws-crt may send one).
    await writeFile(acl, options.allowTopics.map((t) => `pattern readwrite ${t}\n`).join(''));
    await chmod(acl, 0o644);
    limits += `acl_file ${acl}\n`;
  }
  if (options.messageSizeLimit !== undefined) limits += `message_size_limit ${options.messageSizeLimit}\n`;
  await writeFile(conf, `listener ${port} 127.0.0.1\n${tls}allow_anonymous true\npersistence false\n${limits}`);
  const bin = process.env.MOSQUITTO ?? '/usr/sbin/mosquitto';
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(bin, ['-c', conf], { stdio: 'ignore' });
    await waitForPort(port, child);
  };
  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
    });
  };
  await start();
  return {
    url: `${options.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`,
    port,
    kill: stop,
    async restart() {
      await stop();
      await start();
    },
    async stop() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
