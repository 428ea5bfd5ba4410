/**
 * The seen index (port SeenIndex) on disk: image sha256 -> SeenRecord, so that a re-sent identical
 * file is recognised and a crash between "inspection in the outbox" and "file moved" is finished
 * without inspecting again.
 *
 * Format: JSON lines, one whole record per line (the last line for a sha256 wins). `put` and
 * `markArchived` append a line and fdatasync before they resolve (the in-memory map changes only once
 * the line is durable). At load, an unreadable line (typically the last one, torn by a crash) is skipped
 * with a warning and the file is rewritten without it. When the file holds more than twice `capacity`
 * lines it is compacted: the live records are written to a temp file, fsynced and renamed over it.
 * Bounded: beyond `capacity` records, the oldest (by first put; a later put or markArchived of the same
 * image keeps its place) are forgotten.
 */
import { type FileHandle, mkdir, open, readFile, rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { hasCode, SeenIndexError } from '../errors.ts';
import { type Logger, silentLogger } from '../log.ts';
import type { SeenIndex, SeenRecord } from '../ports.ts';

const SeenRecordSchema = z.object({
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  messageId: z.string().min(1),
  file: z.string(),
  verdict: z.enum(['ok', 'defect', 'unclear']),
  archived: z.boolean(),
});

export interface SeenIndexOptions {
  readonly file: string;
  /** Most records remembered. */
  readonly capacity: number;
  readonly log?: Logger;
}

const line = (r: SeenRecord) =>
  `${JSON.stringify({ sha256: r.sha256, messageId: r.messageId, file: r.file, verdict: r.verdict, archived: r.archived })}\n`;

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function load(file: string, log: Logger) {
  const records = new Map<string, SeenRecord>();
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (hasCode(err, 'ENOENT')) return { records, lines: 0, damaged: 0 };
    throw err;
  }
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  let damaged = 0;
  lines.forEach((raw, i) => {
    let parsed: ReturnType<typeof SeenRecordSchema.safeParse>;
    try {
      parsed = SeenRecordSchema.safeParse(JSON.parse(raw));
    } catch {
      parsed = SeenRecordSchema.safeParse(undefined);
    }
    if (!parsed.success) {
      damaged += 1;
      const torn = i === lines.length - 1 && !text.endsWith('\n');
      log.warn(
        { file, line: i + 1, torn },
        torn ? 'seen index: torn last line skipped' : 'seen index: unreadable line skipped',
      );
      return;
    }
    // A later line for the same image (markArchived, or put again) keeps the record's place.
    records.set(parsed.data.sha256, parsed.data);
  });
  return { records, lines: lines.length, damaged };
}

export async function createSeenIndex(options: SeenIndexOptions): Promise<SeenIndex> {
  const { file } = options;
  const log = options.log ?? silentLogger();
  if (!Number.isSafeInteger(options.capacity) || options.capacity < 1) {
    throw new SeenIndexError(
      'SEEN_INDEX_OPEN_FAILED',
      `seen index capacity: expected a positive integer, got ${options.capacity}`,
    );
  }
  const capacity = options.capacity;
  let records: Map<string, SeenRecord>;
  let lines: number;
  let handle: FileHandle;

  const evict = () => {
    for (const key of records.keys()) {
      if (records.size <= capacity) break;
      records.delete(key);
    }
  };

  /** Rewrites the file with the live records only (temp, fsync, rename, fsync of the folder). */
  const compact = async () => {
    const temp = join(dirname(file), `.${basename(file)}.tmp`);
    const out = await open(temp, 'w');
    try {
      await out.writeFile([...records.values()].map(line).join(''));
      await out.sync();
    } finally {
      await out.close();
    }
    await rename(temp, file);
    await syncDir(dirname(file));
    lines = records.size;
  };

  try {
    await mkdir(dirname(file), { recursive: true });
    const loaded = await load(file, log);
    records = loaded.records;
    lines = loaded.lines;
    evict();
    if (loaded.damaged > 0 || lines > 2 * capacity) await compact();
    handle = await open(file, 'a');
  } catch (cause) {
    throw new SeenIndexError('SEEN_INDEX_OPEN_FAILED', `cannot open the seen index ${file}`, { cause });
  }

  let chain: Promise<unknown> = Promise.resolve();
  let closed = false;
  let afterFailure = false;

  const write = (record: SeenRecord): Promise<void> => {
    if (closed) return Promise.reject(new SeenIndexError('SEEN_INDEX_CLOSED', `the seen index ${file} is closed`));
    const next = chain.then(async () => {
      try {
        // After a failed write, a partial line may end the file: start on a line of our own.
        await handle.write(`${afterFailure ? '\n' : ''}${line(record)}`);
        await handle.datasync();
        afterFailure = false;
      } catch (cause) {
        afterFailure = true;
        throw new SeenIndexError('SEEN_INDEX_WRITE_FAILED', `cannot write ${record.sha256} to the seen index ${file}`, {
          cause,
        });
      }
      lines += 1;
      records.set(record.sha256, record);
      evict();
      if (lines > 2 * capacity && lines > 16) {
        // The record is durable already; a failed compaction is retried at the next write.
        await handle.close();
        await compact().catch((err: unknown) => log.warn({ err, file }, 'seen index compaction failed'));
        handle = await open(file, 'a');
      }
    });
    chain = next.catch(() => undefined);
    return next;
  };

  return {
    get: (sha256) => records.get(sha256),

    put(record) {
      const parsed = SeenRecordSchema.safeParse(record);
      if (!parsed.success) {
        return Promise.reject(
          new SeenIndexError(
            'SEEN_INDEX_WRITE_FAILED',
            `seen index record: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`,
          ),
        );
      }
      return write(parsed.data);
    },

    markArchived(sha256) {
      const record = records.get(sha256);
      if (!record || record.archived) return chain.then(() => undefined);
      return write({ ...record, archived: true });
    },

    async close() {
      if (closed) return;
      closed = true;
      await chain;
      await handle.close();
    },
  };
}
