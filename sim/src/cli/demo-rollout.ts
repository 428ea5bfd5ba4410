#!/usr/bin/env node
/** `npm run demo:rollout`: the whole system on one machine; same as `edgeqc demo-rollout` (flags alike). */
import { demoRolloutCommand as command } from '../rollout-demo/demo-rollout-command.ts';

const controller = new AbortController();
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => controller.abort());
try {
  process.exitCode = await command.run(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    signal: controller.signal,
  });
} catch (err) {
  const e = err as Error & { code?: string; cause?: unknown };
  const cause = e.cause instanceof Error ? `\n  because: ${e.cause.message}` : '';
  process.stderr.write(`demo-rollout: ${e.name}${e.code ? ` ${e.code}` : ''}: ${e.message}${cause}\n`);
  process.exitCode = 1;
}
