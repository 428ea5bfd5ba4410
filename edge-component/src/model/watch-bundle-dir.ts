/**
 * Watches a model bundle folder for changes (chokidar): a file written, replaced or removed in it, and
 * the folder itself created, removed or replaced by a rename (a new bundle moved into place). The
 * parent folder is watched one level deep so that all of these are seen, with everything in the parent
 * but the bundle folder ignored. Changes are debounced: `onChange` runs once a burst settled.
 */
import { basename, dirname, resolve } from 'node:path';
import { watch } from 'chokidar';

/** Starts watching; resolves once the watcher is ready, with a function that stops it. */
export type WatchBundleDir = (dir: string, onChange: () => void) => Promise<() => Promise<void>>;

export interface WatchBundleDirOptions {
  /** Quiet time after the last change before `onChange`. Default 500 ms. */
  readonly debounceMs?: number;
}

export function createBundleDirWatcher(options: WatchBundleDirOptions = {}): WatchBundleDir {
  const debounceMs = options.debounceMs ?? 500;
  return async (dirGiven, onChange) => {
    const dir = resolve(dirGiven);
    const parent = dirname(dir);
    const relevant = (p: string) => {
      const abs = resolve(p);
      return abs === parent || abs === dir || dirname(abs) === dir;
    };
    const watcher = watch(parent, {
      ignoreInitial: true,
      depth: 1,
      ignored: (p: string) => !relevant(p),
      awaitWriteFinish: { stabilityThreshold: Math.min(200, debounceMs), pollInterval: 50 },
    });
    let timer: NodeJS.Timeout | undefined;
    watcher.on('all', (_event, p) => {
      const abs = resolve(p);
      if (abs === parent || !(abs === dir || dirname(abs) === dir)) return;
      // hidden and temporary names (a copy in progress) do not count until they are renamed in
      if (abs !== dir && /^\.|\.(tmp|part|partial|swp)$|~$/.test(basename(abs))) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = undefined;
        onChange();
      }, debounceMs);
    });
    await new Promise<void>((ready, fail) => watcher.once('ready', ready).once('error', fail));
    return async () => {
      if (timer) clearTimeout(timer);
      await watcher.close();
    };
  };
}
