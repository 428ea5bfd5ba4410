/**
 * ConfigSource for running without Greengrass: an optional JSON file, with overrides (from flags and
 * environment, already shaped as the config object by the CLI) merged over it key by key. The raw
 * result is validated by the caller (zod) once. `watch` follows edits of the file: each edit is read,
 * merged, passed to `validate`, and applied through `onChange` only when accepted; a rejected or
 * unparsable edit leaves the running configuration as it is and is reported through `onRejected`.
 * An edit made after the last `load` but before the watch was ready is not lost: once ready, the
 * file is read again and handled as an edit if its text differs from what `load` last read. Edits are
 * read until two reads 50 ms apart agree, so a file caught half-written (an editor that truncates and
 * then writes) is not reported as a rejected edit.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { watch } from 'chokidar';
import { ConfigSourceError } from '../errors.ts';
import type { ConfigSource } from '../ports.ts';

export interface FileConfigSourceOptions {
  /** JSON file; none means overrides only. */
  readonly path?: string;
  /** Merged over the file (plain objects merge recursively; arrays and values replace). */
  readonly overrides?: Readonly<Record<string, unknown>>;
  /** An edit of the file that was not applied, and why. Default: ignored. */
  readonly onRejected?: (reason: string) => void;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function mergeConfig(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = mergeConfig(base[k], v);
  return out;
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    throw new ConfigSourceError('CONFIG_FILE_UNREADABLE', `cannot read config file ${path}`, { cause });
  }
}

const settleMs = 50;
const settleTries = 20;

/** Reads until two consecutive reads agree (or `settleTries` reads have been made). */
async function readSettled(path: string): Promise<string> {
  let text = await readText(path);
  for (let i = 0; i < settleTries; i++) {
    await new Promise((r) => setTimeout(r, settleMs));
    const again = await readText(path);
    if (again === text) return text;
    text = again;
  }
  return text;
}

function parseJson(path: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new ConfigSourceError('CONFIG_FILE_INVALID_JSON', `config file ${path} is not valid JSON: ${detail}`, {
      cause,
    });
  }
}

export function createFileConfigSource(options: FileConfigSourceOptions = {}): ConfigSource {
  const path = options.path === undefined ? undefined : resolve(options.path);
  const overrides = options.overrides ?? {};
  const onRejected = options.onRejected ?? (() => undefined);
  /** The file's text as `load` last read it. */
  let loadedText: string | undefined;
  const fromText = (file: string, text: string) => {
    loadedText = text;
    return mergeConfig(parseJson(file, text), overrides);
  };
  const load = async () => (path === undefined ? mergeConfig({}, overrides) : fromText(path, await readText(path)));

  return {
    load,
    async watch(handlers) {
      if (path === undefined) return async () => undefined;
      const watcher = watch(path, {
        ignoreInitial: true,
        awaitWriteFinish: { stabilityThreshold: 200, pollInterval: 50 },
      });
      let chain = Promise.resolve();
      const onEdit = () => {
        chain = chain.then(async () => {
          let raw: unknown;
          try {
            raw = fromText(path, await readSettled(path));
          } catch (err) {
            onRejected(err instanceof Error ? err.message : String(err));
            return;
          }
          const verdict = handlers.validate(raw);
          if (verdict.accepted) handlers.onChange(raw);
          else onRejected(verdict.reason);
        });
      };
      watcher.on('add', onEdit).on('change', onEdit);
      await new Promise<void>((ready, fail) => watcher.once('ready', ready).once('error', fail));
      // Catch up with an edit that landed between the last load and the watch being ready (a watch
      // started without a load has nothing to catch up with).
      if (loadedText !== undefined) {
        const now = await readText(path).catch(() => undefined);
        if (now !== loadedText) onEdit();
      }
      return async () => {
        await watcher.close();
        await chain;
      };
    },
  };
}
