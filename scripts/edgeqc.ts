#!/usr/bin/env node
/**
 * `edgeqc`: one command line over the workspaces. Each workspace exports its commands from its `./cli`
 * subpath; this file only dispatches (and loads a workspace only when one of its commands runs).
 * Started by `npm run edgeqc -- <command>`, or by the `edgeqc` bin, edgeqc-bin.js beside it, which runs
 * it on the project's Node 24 whatever `node` the shell has.
 */
import { readFileSync } from 'node:fs';

interface CommandIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly signal: AbortSignal;
}
interface Command {
  readonly name: string;
  readonly summary: string;
  run(argv: readonly string[], io: CommandIo): Promise<number>;
}

const workspaces: ReadonlyArray<{ names: readonly string[]; load: () => Promise<{ commands: readonly Command[] }> }> = [
  { names: ['agent', 'inspect', 'watch', 'package-agent'], load: () => import('@edgeqc/edge-component/cli') },
  { names: ['package-model', 'keygen'], load: () => import('@edgeqc/model-component/cli') },
  {
    names: ['publish-model', 'publish-components', 'rollout'],
    load: () => import('@edgeqc/orchestrator/cli'),
  },
  { names: ['review'], load: () => import('@edgeqc/review/cli') },
  { names: ['bench', 'demo-rollout'], load: () => import('@edgeqc/sim/cli') },
];

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(
      'usage: edgeqc <command> [options]   (edgeqc <command> --help for its options; edgeqc --version)\n\ncommands:\n',
    );
    const width = Math.max(...workspaces.flatMap((ws) => ws.names.map((n) => n.length))) + 2;
    for (const ws of workspaces) {
      try {
        const { commands } = await ws.load();
        for (const c of commands) process.stdout.write(`  ${c.name.padEnd(width)}${c.summary}\n`);
      } catch (err) {
        const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
        process.stdout.write(`  ${ws.names.join(', ')}  (not available in this build: ${why})\n`);
      }
    }
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-v') {
    const root = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write(`edgeqc ${root.version} on Node ${process.version} (${process.execPath})\n`);
    return 0;
  }
  const ws = workspaces.find((w) => w.names.includes(name));
  const command = ws ? (await ws.load()).commands.find((c) => c.name === name) : undefined;
  if (!command) {
    process.stderr.write(`edgeqc: unknown command '${name}'; run 'edgeqc --help' for the list\n`);
    return 2;
  }
  const controller = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => controller.abort());
  return command.run(rest, {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    signal: controller.signal,
  });
}

process.exitCode = await main(process.argv.slice(2));
// The command is done and has closed what it opened; native handles that outlive their close (the
// MQTT 5 client of aws-crt keeps the event loop alive after stop) must not keep the process running.
setTimeout(() => process.exit(), 1000).unref();
