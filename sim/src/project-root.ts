/**
 * Where the one-machine world finds the checkout's files: the repository root and the paths below it
 * that the demos, the benchmark and the tests start or read (the agent's entry, the demo model).
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is sim/src/project-root.ts). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The agent's entry point, as the packaged component and the benchmark start it. */
export const AGENT_ENTRY = join(PROJECT_ROOT, 'edge-component', 'src', 'main.ts');
/** The demo model's folder in the source tree (model files, labels, samples, references). */
export const DEMO_MODEL_DIR = join(PROJECT_ROOT, 'model-component', 'models', 'tag-scratch');
/** Node 24 as `npm ci` installs it (the `node` devDependency); child processes run on it. */
export const NODE_BIN = join(PROJECT_ROOT, 'node_modules', '.bin', 'node');
