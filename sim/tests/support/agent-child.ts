/**
 * The agent binary (edge-component/src/main.ts `agent`, on Node 24) as a child process of a test, in
 * a working folder of the test's choosing, with its stderr (its logs) kept for failure messages.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { AGENT_ENTRY, NODE_BIN } from '../../src/project-root.ts';

export interface AgentChild {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last 1-2 MB it wrote on stderr. */
  stderr(): string;
}

export function spawnAgent(args: readonly string[], env: Readonly<Record<string, string>>, cwd: string): AgentChild {
  const child = spawn(NODE_BIN, [AGENT_ENTRY, 'agent', ...args], {
    cwd,
    env: { ...process.env, EDGEQC_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString('utf8');
    if (err.length > 2_000_000) err = err.slice(-1_000_000);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, exited, stderr: () => err };
}

/** Waits for a condition, checking every 50 ms; fails naming `what` after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
