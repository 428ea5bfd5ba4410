/** The device platforms we package for, and their names in Node, npm packages and Greengrass. */
import { PackagingError } from './packaging-error.ts';

export const PLATFORMS = ['linux-x64', 'linux-arm64'] as const;
export type Platform = (typeof PLATFORMS)[number];

export function parsePlatform(value: string): Platform {
  if (!(PLATFORMS as readonly string[]).includes(value)) {
    throw new PackagingError('PLATFORM', `platform '${value}': expected one of ${PLATFORMS.join(', ')}`);
  }
  return value as Platform;
}

export function nodeArch(p: Platform): 'x64' | 'arm64' {
  return p === 'linux-x64' ? 'x64' : 'arm64';
}

/** Greengrass manifest Platform.architecture (the nucleus reports Java's os.arch names). */
export function greengrassArch(p: Platform): 'amd64' | 'aarch64' {
  return p === 'linux-x64' ? 'amd64' : 'aarch64';
}

export function hostPlatform(): Platform | undefined {
  const p = `${process.platform}-${process.arch}`;
  return (PLATFORMS as readonly string[]).includes(p) ? (p as Platform) : undefined;
}
