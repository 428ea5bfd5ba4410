import type { Command } from '@edgeqc/model-component/cli';
import { publishComponentsCommand } from './publish-components-command.ts';
import { publishModelCommand } from './publish-model-command.ts';
import { rolloutCommand } from './rollout-command.ts';

/** The orchestrator's `edgeqc` subcommands. */
export const commands: readonly Command[] = [publishModelCommand, publishComponentsCommand, rolloutCommand];
