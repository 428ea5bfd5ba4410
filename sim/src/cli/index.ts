import type { Command } from '@edgeqc/model-component/cli';
import { benchCommand } from '../bench/bench-command.ts';
import { demoRolloutCommand } from '../rollout-demo/demo-rollout-command.ts';

/** The one-machine world's `edgeqc` subcommands. */
export const commands: readonly Command[] = [benchCommand, demoRolloutCommand];
