/**
 * The agent under benchmark: the device binary's entry (edge-component/src/main.ts `agent`) in its own
 * process, so that its RSS is its own, talking to the benchmark's broker. Stopped with SIGTERM (the
 * agent's orderly stop).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { AGENT_ENTRY } from '../project-root.ts';

export interface AgentProcess {
  readonly pid: number;
  /** The last lines the agent wrote on stderr (for error reports). */
  tail(): string;
  /** Resolves with the exit code when the process ends. */
  readonly exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

export interface AgentProcessOptions {
  readonly entry?: string;
  /** Node options before the entry (e.g. `--import <probe>`). */
  readonly nodeArgs?: readonly string[];
  /** Added to the environment (e.g. MALLOC_ARENA_MAX, UV_THREADPOOL_SIZE, the memory probe's file). */
  readonly env?: Readonly<Record<string, string>>;
}

export function startAgentProcess(args: readonly string[], options: AgentProcessOptions = {}): AgentProcess {
  const entry = options.entry ?? AGENT_ENTRY;
  // The agent reads EDGEQC_* from its environment: give it none, the flags say everything.
  const env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('EDGEQC_'))),
    ...options.env,
  };
  const child: ChildProcess = spawn(process.execPath, [...(options.nodeArgs ?? []), entry, 'agent', ...args], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`cannot start ${process.execPath} ${entry}`);
  const lines: string[] = [];
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    lines.push(...chunk.split('\n').filter((l) => l.length > 0));
    if (lines.length > 40) lines.splice(0, lines.length - 40);
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return {
    pid: child.pid,
    tail: () => lines.join('\n'),
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
