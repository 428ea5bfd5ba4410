/**
 * The server's Unix socket file. Before binding: a stale socket (nobody answers) is replaced, a live one
 * or anything that is not a socket is refused. Binding happens at a hidden staging name in the same
 * folder, which gets mode 0660 (owner and group: Lookout for Vision's clients join the Greengrass
 * user's group) before it is renamed onto the path, so the path never has other permissions. On close
 * the file is removed if it is still ours.
 */
import { randomBytes } from 'node:crypto';
import { chmod, lstat, rename, stat, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { hasCode, LfvCode, LfvError } from '../../errors.ts';

export const SOCKET_MODE = 0o660;
/** sun_path holds 108 bytes with the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;
const PROBE_TIMEOUT_MS = 1000;

/** True when a server accepts a connection on the socket at `path`. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ path });
    const done = (alive: boolean) => {
      socket.destroy();
      resolve(alive);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => done(true));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Refuses a path that is taken; removes a stale socket. */
export async function claimSocketPath(path: string): Promise<void> {
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
    throw new LfvError(LfvCode.BindFailed, `socket path ${path} is longer than ${MAX_SOCKET_PATH_BYTES} bytes`);
  }
  const existing = await lstat(path).catch((err: unknown) => {
    if (hasCode(err, 'ENOENT')) return null;
    throw err;
  });
  if (existing === null) return;
  if (!existing.isSocket()) {
    throw new LfvError(LfvCode.SocketPathTaken, `${path} exists and is not a socket: move it, or choose another path`);
  }
  if (await answers(path)) {
    throw new LfvError(LfvCode.SocketInUse, `a server already answers on ${path} (another agent?)`);
  }
  await unlink(path).catch((err: unknown) => {
    if (!hasCode(err, 'ENOENT')) throw err;
  });
}

/** A fresh hidden name beside `path` to bind at. */
export function stagingPathFor(path: string): string {
  const staging = join(dirname(path), `.lfv-${randomBytes(6).toString('hex')}.sock`);
  if (Buffer.byteLength(staging) > MAX_SOCKET_PATH_BYTES) {
    throw new LfvError(
      LfvCode.BindFailed,
      `the folder of ${path} is too long for a socket beside it (${basename(path)})`,
    );
  }
  return staging;
}

/** Gives the bound staging socket its mode and moves it onto `path`; returns its inode. */
export async function publishSocket(staging: string, path: string): Promise<number> {
  await chmod(staging, SOCKET_MODE);
  await rename(staging, path);
  return (await lstat(path)).ino;
}

/** Removes `path` if it is still the socket with inode `ino` (not one a later server put there). */
export async function removeOwnSocket(path: string, ino: number): Promise<void> {
  const now = await stat(path).catch(() => null);
  if (now?.isSocket() && now.ino === ino) {
    await unlink(path).catch((err: unknown) => {
      if (!hasCode(err, 'ENOENT')) throw err;
    });
  }
}
