/**
 * The production packages the bundled agent loads at run time (those esbuild cannot inline because
 * they load native binaries by computed paths), with ONLY the target platform's native files:
 * onnxruntime-node (bin/napi-vN/linux/<arch>), sharp with @img/sharp-linux-<arch> and
 * @img/sharp-libvips-linux-<arch>, and their pure-JS dependencies. aws-crt's JavaScript is bundled;
 * only its native binary for <arch>-glibc is shipped (see bundle-agent.ts).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { PackageLocator } from './npm-packages.ts';
import { PackagingError } from './packaging-error.ts';
import { nodeArch, type Platform } from './platform.ts';
import type { ZipInput } from './zip.ts';

/** Packages bundled into main.js need not ship; these are loaded from node_modules at run time. */
export const EXTERNAL_PACKAGES = ['onnxruntime-node', 'sharp'] as const;

/** Dependencies used only by install scripts (onnxruntime-node downloads GPU binaries with them). */
const INSTALL_ONLY = new Set(['adm-zip', 'global-agent']);

/** Files no device needs. */
const SKIP_FILE =
  /(\.map|\.d\.ts|\.d\.cts|\.d\.mts|\.md|\.markdown|\.gyp|\.cc|\.h|\.cpp)$|(^|\/)(README|CHANGELOG|HISTORY)[^/]*$/i;

interface PackageJson {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

async function readPkg(dir: string): Promise<PackageJson> {
  return JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as PackageJson;
}

async function walkFiles(dir: string, skipDir: (rel: string) => boolean, base = dir): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    const rel = relative(base, full);
    if (entry.isDirectory()) {
      if (entry.name === 'node_modules' || skipDir(rel)) continue;
      out.push(...(await walkFiles(full, skipDir, base)));
    } else if (entry.isFile() && !SKIP_FILE.test(rel)) {
      out.push(rel);
    } else if (entry.isSymbolicLink()) {
      out.push(rel); // read through the link: the archive holds a plain copy
    }
  }
  return out;
}

/** Folders of a package that are other platforms' binaries, sources or install scripts. */
function skipDirFor(pkg: string, platform: Platform): (rel: string) => boolean {
  const arch = nodeArch(platform);
  if (pkg === 'onnxruntime-node') {
    return (rel) =>
      rel === 'lib' ||
      rel === 'script' ||
      (/^bin\/napi-v\d+\/[^/]+$/.test(rel) && !rel.endsWith('/linux')) ||
      (/^bin\/napi-v\d+\/linux\/[^/]+$/.test(rel) && !rel.endsWith(`/${arch}`));
  }
  if (pkg === 'sharp') return (rel) => rel === 'src' || rel === 'install' || rel === 'lib';
  if (pkg === 'semver') return (rel) => rel === 'bin';
  return () => false;
}

export interface RuntimePackage {
  readonly name: string;
  readonly version: string;
  readonly dir: string;
}

/** Resolves the run-time package set for `platform`. */
export async function resolveRuntimePackages(
  platform: Platform,
  locate: PackageLocator,
  nodeModules: string,
): Promise<RuntimePackage[]> {
  const arch = nodeArch(platform);
  const found = new Map<string, RuntimePackage>();
  const visit = async (name: string, dir: string) => {
    if (found.has(name) || INSTALL_ONLY.has(name)) return;
    const pkg = await readPkg(dir);
    found.set(name, { name, version: pkg.version, dir });
    for (const dep of Object.keys(pkg.dependencies ?? {})) {
      const nested = join(dir, 'node_modules', dep);
      const depDir = await readPkg(nested).then(
        () => nested,
        () => join(nodeModules, dep),
      );
      await visit(dep, depDir);
    }
    for (const [dep, version] of Object.entries(pkg.optionalDependencies ?? {})) {
      if (dep === `@img/sharp-linux-${arch}` || dep === `@img/sharp-libvips-linux-${arch}`) {
        await visit(dep, await locate(dep, version));
      }
    }
  };
  for (const name of EXTERNAL_PACKAGES) {
    try {
      await visit(name, join(nodeModules, name));
    } catch (cause) {
      throw new PackagingError(
        'PACKAGE_MISSING',
        `cannot resolve run-time package ${name}: ${(cause as Error).message}`,
        { cause },
      );
    }
  }
  for (const required of [`@img/sharp-linux-${arch}`, `@img/sharp-libvips-linux-${arch}`]) {
    if (!found.has(required)) throw new PackagingError('PACKAGE_MISSING', `sharp declares no ${required}`);
  }
  return [...found.values()];
}

/** Zip inputs `node_modules/<name>/<file>` for the packages, other platforms' binaries left out. */
export async function runtimePackageFiles(
  platform: Platform,
  packages: readonly RuntimePackage[],
): Promise<ZipInput[]> {
  const inputs: ZipInput[] = [];
  for (const p of packages) {
    const files = await walkFiles(p.dir, skipDirFor(p.name, platform));
    for (const rel of files.sort()) {
      const executable = rel.endsWith('.node') || /\.so(\.\d+)*$/.test(rel);
      inputs.push({
        name: `node_modules/${p.name}/${rel}`,
        data: { path: join(p.dir, rel) },
        mode: executable ? 0o755 : 0o644,
      });
    }
  }
  const arch = nodeArch(platform);
  if (
    !inputs.some((i) => i.name.includes(`/bin/napi-v`) && i.name.includes(`/linux/${arch}/onnxruntime_binding.node`))
  ) {
    throw new PackagingError('PACKAGE_MISSING', `onnxruntime-node has no binding for linux/${arch}`);
  }
  return inputs;
}
