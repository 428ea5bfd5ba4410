import { mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LfvError } from '../../../src/errors.ts';
import { silentLogger } from '../../../src/log.ts';
import { DEFAULT_LFV_SOCKET_PATH, type LfvServer, startLfvServer } from '../../../src/sync/lfv/lfv-server.ts';
import { fakeControl, fakeService } from './fakes.ts';
import { lfvClient } from './lfv-client.ts';

let dir: string;
let path: string;
const servers: LfvServer[] = [];
const start = async () => {
  const server = await startLfvServer(
    { service: fakeService(), control: fakeControl(), log: silentLogger() },
    { socketPath: path },
  );
  servers.push(server);
  return server;
};
const listModels = async (socketPath: string) => {
  const client = lfvClient(socketPath);
  try {
    return await client.call('ListModels', {});
  } finally {
    client.close();
  }
};

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lfv-socket-'));
  path = join(dir, 'aws.iot.lookoutvision.EdgeAgent.sock');
});
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the socket file of the Lookout for Vision server', () => {
  it('defaults to the original agent’s path', () => {
    expect(DEFAULT_LFV_SOCKET_PATH).toBe('/tmp/aws.iot.lookoutvision.EdgeAgent.sock');
  });

  it('is a socket with mode 0660 (owner and group only), and nothing else is left in its folder', async () => {
    await start();
    const s = await stat(path);
    expect(s.isSocket()).toBe(true);
    expect(s.mode & 0o777).toBe(0o660);
    expect(await readdir(dir)).toEqual(['aws.iot.lookoutvision.EdgeAgent.sock']);
    expect(await listModels(path)).toHaveProperty('models');
  });

  it('is removed when the server closes', async () => {
    const server = await start();
    await server.close();
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('replaces a stale socket that nobody answers on', async () => {
    // A socket file left behind: bound elsewhere, moved onto the path, its server gone.
    const staging = join(dir, 'old.sock');
    const old = createServer();
    await new Promise<void>((resolve) => old.listen(staging, resolve));
    await rename(staging, path);
    await new Promise((resolve) => old.close(resolve));
    expect((await stat(path)).isSocket()).toBe(true);
    await start();
    expect(await listModels(path)).toHaveProperty('models');
  });

  it('refuses a path that exists and is not a socket, and leaves the file alone', async () => {
    await writeFile(path, 'precious');
    const err = await start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LfvError);
    expect(err).toMatchObject({ code: 'LFV_SOCKET_PATH_TAKEN' });
    expect((await stat(path)).isFile()).toBe(true);
  });

  it('refuses a socket another server answers on, which keeps serving', async () => {
    await start();
    await expect(start()).rejects.toMatchObject({ code: 'LFV_SOCKET_IN_USE' });
    expect(await listModels(path)).toHaveProperty('models');
  });
});
