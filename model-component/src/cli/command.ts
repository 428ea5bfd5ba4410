import type { Writable } from 'node:stream';

/** The process's streams and environment, given to a command so that tests can capture them. */
export interface CommandIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted on SIGINT/SIGTERM: a long-running command stops in order and resolves. */
  readonly signal: AbortSignal;
}

/** One `edgeqc` subcommand. `run` resolves to the process exit code. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  run(argv: readonly string[], io: CommandIo): Promise<number>;
}
