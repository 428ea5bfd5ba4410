import type { Command } from './command.ts';

export type { Command, CommandIo } from './command.ts';

/** The model workspace's `edgeqc` subcommands. */
export const commands: readonly Command[] = [];
