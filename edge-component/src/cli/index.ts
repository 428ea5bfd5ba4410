import { packageAgentCommand } from '../packaging/package-agent-command.ts';
import { agentCommand } from './agent-command.ts';
import type { Command } from './command.ts';
import { inspectCommand } from './inspect-command.ts';
import { watchCommand } from './watch-command.ts';

/** The edge workspace's `edgeqc` subcommands. */
export const commands: readonly Command[] = [agentCommand, inspectCommand, watchCommand, packageAgentCommand];
