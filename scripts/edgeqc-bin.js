#!/usr/bin/env node
/**
 * The `edgeqc` command (the root package.json "bin"; `npx edgeqc` in the checkout, `edgeqc` after
 * `npm install -g .`). Why this file: the dispatcher beside it, edgeqc.ts, is TypeScript that only
 * Node 24's type stripping runs, while the `node` a shell finds may be older (these machines' is 20).
 * So this is plain JavaScript any Node can start: it finds the Node 24 binary of the `node` npm package
 * (a devDependency, installed by `npm ci`) from its own location and runs the dispatcher with it,
 * passing arguments, standard streams and the exit status through. Started by that Node already (npm
 * scripts, npx in the checkout), it runs the dispatcher in this process.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

let node;
try {
  node = createRequire(import.meta.url).resolve('node/bin/node');
} catch (err) {
  process.stderr.write(`edgeqc: no Node 24 (npm package node, node/bin/node) beside ${import.meta.url}: `);
  process.stderr.write(`run npm ci in the checkout (${err.message.split('\n')[0]})\n`);
  process.exit(1);
}
if (process.execPath === node) {
  await import('./edgeqc.ts');
} else {
  const dispatcher = fileURLToPath(new URL('./edgeqc.ts', import.meta.url));
  const child = spawn(node, [dispatcher, ...process.argv.slice(2)], { stdio: 'inherit' });
  // Ctrl-C reaches both processes (one process group) and the dispatcher stops in order; a SIGTERM
  // sent to this process alone is passed on. The exit status is the dispatcher's (128 + signal).
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? 128 + (constants.signals[signal] ?? 0);
  });
}
