/**
 * The agent as a device runs it: the esbuild bundle package-agent ships (main.js, the native self-check
 * and the detector's worker beside it), not the TypeScript sources. Run from the sources, Node also
 * keeps the sources' module graph (hundreds of modules, each with its own wrapper and compiled code),
 * and the agent idles with markedly more memory than the bundle does: the memory target is the
 * device's, so the benchmark measures the bundle.
 *
 * The bundle is written under .work/bench-agent/ in the checkout, so that the packages it leaves
 * external (onnxruntime-node, sharp) resolve from the checkout's node_modules, as they resolve from the
 * archive's node_modules on a device; aws-crt's native binary is the one in node_modules.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SESSION_WORKER_BUNDLE_NAME } from '@edgeqc/edge-component/adapters/onnx-worker-protocol';
import { bundleAgent } from '@edgeqc/edge-component/bundle-agent';
import { AGENT_ENTRY, PROJECT_ROOT } from '../project-root.ts';

export interface BundledAgent {
  /** main.js of the bundle. */
  readonly entry: string;
  /** Environment the bundle needs here (aws-crt's native binary in node_modules). */
  readonly env: Readonly<Record<string, string>>;
}

export async function bundledAgent(): Promise<BundledAgent> {
  const files = await bundleAgent(
    {
      main: AGENT_ENTRY,
      'native-check': join(PROJECT_ROOT, 'edge-component', 'src', 'packaging', 'native-check.ts'),
      [SESSION_WORKER_BUNDLE_NAME]: join(PROJECT_ROOT, 'edge-component', 'src', 'adapters', 'onnx-session-worker.ts'),
    },
    PROJECT_ROOT,
  );
  const hash = createHash('sha256');
  for (const f of files) hash.update(f.name).update(f.bytes);
  const dir = join(PROJECT_ROOT, '.work', 'bench-agent', hash.digest('hex').slice(0, 16));
  await mkdir(dir, { recursive: true });
  for (const f of files) await writeFile(join(dir, f.name), f.bytes);
  const arch = process.arch === 'arm64' ? 'arm64' : 'x64';
  return {
    entry: join(dir, 'main.js'),
    env: {
      AWS_CRT_NODEJS_BINARY_ABSOLUTE_PATH: join(
        PROJECT_ROOT,
        'node_modules',
        'aws-crt',
        'dist',
        'bin',
        `linux-${arch}-glibc`,
        'aws-crt-nodejs.node',
      ),
    },
  };
}

/**
 * The agent the benchmarks start: the bundle, or the sources with EDGEQC_BENCH_AGENT_FROM=sources (to
 * compare the two, or to profile with source names).
 */
export async function benchAgentBuild(): Promise<BundledAgent & { readonly from: 'bundle' | 'sources' }> {
  const from = process.env.EDGEQC_BENCH_AGENT_FROM ?? 'bundle';
  if (from === 'sources') return { entry: AGENT_ENTRY, env: {}, from };
  if (from !== 'bundle') {
    throw new Error(`EDGEQC_BENCH_AGENT_FROM=${JSON.stringify(from)}: expected bundle (the default) or sources`);
  }
  return { ...(await bundledAgent()), from };
}
