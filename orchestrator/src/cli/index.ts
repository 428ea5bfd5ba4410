import type { Command } from '@edgeqc/model-component/cli';

/** The orchestrator's `edgeqc` subcommands. */
export const commands: readonly Command[] = [];
