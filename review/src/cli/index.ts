import type { Command } from '@edgeqc/model-component/cli';
import { reviewCommand } from './review-command.ts';

/** The review workspace's `edgeqc` subcommands. */
export const commands: readonly Command[] = [reviewCommand];
