/**
 * Runs lifecycle scripts the way the nucleus does: `sh -c <script>` in the component's work folder,
 * stdout and stderr appended to logs/<component>.log, in a process group of its own so that stopping
 * it stops everything the script started. Timeouts per step (Greengrass defaults: install and startup
 * 120 s, shutdown 15 s).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface ScriptSpec {
  readonly script: string;
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly logFile: string;
}

export interface ScriptExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
}

function start(spec: ScriptSpec): ChildProcess {
  mkdirSync(dirname(spec.logFile), { recursive: true });
  mkdirSync(spec.cwd, { recursive: true });
  const fd = openSync(spec.logFile, 'a');
  try {
    return spawn('sh', ['-c', spec.script], {
      cwd: spec.cwd,
      env: { ...spec.env },
      stdio: ['ignore', fd, fd],
      detached: true,
    });
  } finally {
    closeSync(fd);
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is gone already: nothing to stop.
  }
}

function exitOf(child: ChildProcess): Promise<ScriptExit> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode, timedOut: false });
      return;
    }
    child.once('error', () => resolve({ code: 127, signal: null, timedOut: false }));
    child.once('exit', (code, signal) => resolve({ code, signal, timedOut: false }));
  });
}

/**
 * True while a process of the group is alive. Zombies do not count: a script's children outlive the
 * shell, get re-parented, and may never be reaped in a container without an init, so signal 0 alone
 * would report them alive. Linux reads /proc; elsewhere signal 0.
 */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return true;
  }
  for (const p of pids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${p}/stat`, 'utf8');
    } catch {
      continue;
    }
    // pid (comm) state ppid pgrp ...; comm may contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] !== 'Z' && Number(fields[2]) === pgid) return true;
  }
  return false;
}

/** Waits until no process of the group is left (the script's shell may exit before its children). */
async function groupGone(pid: number | undefined, timeoutMs: number): Promise<boolean> {
  if (pid === undefined) return true;
  const deadline = Date.now() + timeoutMs;
  while (groupAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
  return true;
}

/** Runs a script to its end (Install, Startup, Shutdown); kills it after `timeoutMs`. */
export async function runScript(spec: ScriptSpec, timeoutMs: number): Promise<ScriptExit> {
  const child = start(spec);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child, 'SIGKILL');
  }, timeoutMs);
  try {
    const exit = await exitOf(child);
    return { ...exit, timedOut };
  } finally {
    clearTimeout(timer);
  }
}

/** A long-running Run script. */
export interface RunningScript {
  readonly pid: number | undefined;
  /** Resolves when the process exits, whoever stopped it. */
  readonly exited: Promise<ScriptExit>;
  /** SIGTERM to the group, SIGKILL after `graceMs`; resolves on exit. */
  stop(graceMs: number): Promise<ScriptExit>;
}

export function spawnScript(spec: ScriptSpec): RunningScript {
  const child = start(spec);
  const exited = exitOf(child);
  return {
    pid: child.pid,
    exited,
    async stop(graceMs) {
      const pid = child.pid;
      if (pid !== undefined && groupAlive(pid)) process.kill(-pid, 'SIGTERM');
      if (!(await groupGone(pid, graceMs)) && pid !== undefined) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // Exited between the check and the kill.
        }
        await groupGone(pid, 2_000);
      }
      return exited;
    },
  };
}
