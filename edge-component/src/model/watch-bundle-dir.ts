/**
 * Watches a model bundle folder for changes with the operating system's folder notifications
 * (`fs.watch`, inotify on Linux): a file written, replaced or removed in it, and the folder itself
 * created, removed or replaced by a rename (a new bundle moved into place). Two watches: the parent
 * folder, for events naming the bundle folder, and the bundle folder itself, for its files; when the
 * bundle folder is replaced, the second watch moves to the new folder. Changes are debounced:
 * `onChange` runs once a burst settled.
 *
 * Not chokidar: chokidar learns about a folder's entries by re-reading the parent at most once a
 * second and comparing names, so a bundle folder replaced by two quick renames (old -> .old,
 * new -> the name) has the same name before and after and was sometimes missed (the hot-swap test
 * failed about 1 run in 5).
 */
import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';

/** Starts watching; resolves once the watcher is ready, with a function that stops it. */
export type WatchBundleDir = (dir: string, onChange: () => void) => Promise<() => Promise<void>>;

export interface WatchBundleDirOptions {
  /** Quiet time after the last change before `onChange`. Default 500 ms. */
  readonly debounceMs?: number;
}

/** Hidden and temporary names (a copy in progress) do not count until they are renamed in. */
const isTemporary = (name: string) => /^\.|\.(tmp|part|partial|swp)$|~$/.test(name);

export function createBundleDirWatcher(options: WatchBundleDirOptions = {}): WatchBundleDir {
  const debounceMs = options.debounceMs ?? 500;
  return async (dirGiven, onChange) => {
    const dir = resolve(dirGiven);
    const name = basename(dir);
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    const changed = () => {
      if (stopped) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = undefined;
        onChange();
      }, debounceMs);
    };

    let inner: FSWatcher | undefined;
    const watchInner = () => {
      inner?.close();
      inner = undefined;
      if (stopped) return;
      try {
        const w = watch(dir, { persistent: false }, (_event, file) => {
          if (file === null || !isTemporary(String(file))) changed();
        });
        // The folder was removed or replaced: the parent's watch sees that and watches the new one.
        w.on('error', () => {
          w.close();
          if (inner === w) inner = undefined;
        });
        inner = w;
      } catch {
        // No bundle folder yet: the parent's watch starts this one when it appears.
      }
    };

    // Throws when the parent folder does not exist (the model manager reports that).
    const outer = watch(dirname(dir), { persistent: false }, (_event, entry) => {
      if (entry === null || String(entry) === name) {
        watchInner();
        changed();
      }
    });
    outer.on('error', () => outer.close());
    watchInner();
    return async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      outer.close();
      inner?.close();
    };
  };
}
