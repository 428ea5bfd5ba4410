/**
 * Finds an npm package of an exact version: in the project's node_modules when it is there (the host
 * platform's native packages are), otherwise through npm's own client (`npm pack`, e.g. the other
 * platform's sharp or Node binary), unpacked once into a cache folder.
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PackagingError } from './packaging-error.ts';
import { extractNpmTarball } from './tar.ts';

const run = promisify(execFile);

export interface PackageLocatorOptions {
  /** Folders to look in first (node_modules). */
  readonly nodeModules: readonly string[];
  /** Where fetched packages are unpacked. */
  readonly cacheDir: string;
  /** Fetch missing packages with npm (default true). */
  readonly fetch?: boolean;
}

export type PackageLocator = (name: string, version: string) => Promise<string>;

async function versionAt(dir: string): Promise<string | undefined> {
  try {
    return (JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

export function createPackageLocator(options: PackageLocatorOptions): PackageLocator {
  return async (name, version) => {
    for (const nm of options.nodeModules) {
      const dir = join(nm, name);
      if ((await versionAt(dir)) === version) return dir;
    }
    const cached = join(options.cacheDir, `${name.replace('/', '+')}@${version}`);
    if ((await versionAt(cached)) === version) return cached;
    if (options.fetch === false) {
      throw new PackagingError('PACKAGE_MISSING', `${name}@${version} is not in node_modules and fetching is off`);
    }
    const tmp = `${cached}.tmp-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    try {
      const { stdout } = await run('npm', ['pack', `${name}@${version}`, '--json', '--pack-destination', tmp], {
        maxBuffer: 16 * 1024 * 1024,
      });
      const [info] = JSON.parse(stdout) as Array<{ integrity?: string }>;
      const tarball = (await readdir(tmp)).find((f) => f.endsWith('.tgz'));
      if (!info || !tarball) throw new PackagingError('PACKAGE_FETCH', `npm pack ${name}@${version} gave no tarball`);
      const tgz = join(tmp, tarball);
      const unpacked = join(tmp, 'package');
      await extractNpmTarball(await readFile(tgz), unpacked);
      await rm(cached, { recursive: true, force: true });
      await rename(unpacked, cached);
    } catch (cause) {
      if (cause instanceof PackagingError) throw cause;
      throw new PackagingError(
        'PACKAGE_FETCH',
        `cannot fetch ${name}@${version} with npm pack: ${(cause as Error).message}`,
        { cause },
      );
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    await stat(join(cached, 'package.json'));
    return cached;
  };
}
