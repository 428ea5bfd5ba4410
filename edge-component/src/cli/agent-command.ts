/**
 * `edgeqc agent`: the same command as the device binary's `main.js agent` (src/main.ts). main.ts is
 * loaded when the command runs, so that other commands do not load onnxruntime and sharp.
 */
import type { Command } from './command.ts';

export const agentCommand: Command = {
  name: 'agent',
  summary: 'run the inspection agent on a camera folder (long-running; --help for the options)',
  async run(argv, io) {
    const { runAgentCommand } = await import('../main.ts');
    return runAgentCommand(argv, io);
  },
};
