import type { Command } from './command.ts';
import { keygenCommand } from './keygen-command.ts';
import { packageModelCommand } from './package-model-command.ts';

export type { Command, CommandIo } from './command.ts';

/** The model workspace's `edgeqc` subcommands. */
export const commands: readonly Command[] = [packageModelCommand, keygenCommand];
