#!/usr/bin/env node
/**
 * `npm start`: the edge side working on one machine (sim/src/edge-demo/run-edge-demo.ts).
 * Options: --images <n> (default: every sample once), --interval <ms> (default 300). Ctrl-C ends it early.
 */
import { parseArgs } from 'node:util';
import { formatDemoSummary, runEdgeDemo } from '../edge-demo/run-edge-demo.ts';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { images: { type: 'string' }, interval: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
});
if (values.help) {
  process.stdout.write('usage: npm start [-- --images <n>] [--interval <ms>]\n');
  process.exit(0);
}
const number = (flag: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write(`demo: --${flag} ${JSON.stringify(v)}: expected a whole number\n`);
    process.exit(2);
  }
  return n;
};
const images = number('images', values.images);
const intervalMs = number('interval', values.interval);

const controller = new AbortController();
process.once('SIGINT', () => {
  process.stdout.write('\nCtrl-C: stopping the demo…\n');
  controller.abort();
});
const say = (line: string) => process.stdout.write(`${line}\n`);
say('edgeqc edge demo: embedded broker + agent + simulated camera + watch, all on this machine');
try {
  const summary = await runEdgeDemo({
    say,
    signal: controller.signal,
    ...(images !== undefined ? { images } : {}),
    ...(intervalMs !== undefined ? { intervalMs } : {}),
  });
  for (const line of formatDemoSummary(summary)) say(line);
  process.exitCode = summary.missing > 0 ? 1 : 0;
} catch (err) {
  const e = err as { name?: string; code?: string; message?: string; cause?: unknown };
  process.stderr.write(
    `demo failed: ${e.name ?? 'Error'}${e.code ? ` ${e.code}` : ''}: ${e.message ?? String(err)}${e.cause instanceof Error ? ` (cause: ${e.cause.message})` : ''}\n`,
  );
  process.exitCode = 1;
}
// Native handles (aws-crt, onnxruntime) may linger after everything closed.
setTimeout(() => process.exit(), 500).unref();
