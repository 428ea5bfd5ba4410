/**
 * Decision records as JSON files: `<root>/decisions/<messageId>/<revision>.json`, one immutable file per
 * revision. A put writes a temporary file and hard-links it to the next revision's name: the link fails
 * when that name exists, so the revision check and the write are one atomic step, across processes too,
 * and a reader never sees half a file. The newest revision is the record; the KEEP_REVISIONS newest
 * files are kept, older ones removed. Reads go through a cache keyed by the newest revision's name.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type DecisionRecord, DecisionRecordSchema } from '../domain/index.ts';
import { StoreCorruptError } from '../errors.ts';
import type { DecisionQuery, DecisionStore, PutResult } from '../ports.ts';

/** Revision files kept per item (the record holds its own log; older files are only a safety margin). */
export const KEEP_REVISIONS = 3;

const REVISION_FILE = /^(\d{9})\.json$/;
const MESSAGE_ID = /^[0-9a-f]{64}$/;

function fileName(revision: number): string {
  return `${String(revision).padStart(9, '0')}.json`;
}

function code(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

export class LocalJsonDecisionStore implements DecisionStore {
  readonly #dir: string;
  readonly #cache = new Map<string, { revision: number; record: DecisionRecord }>();

  /** `root`: the store root (decisions go to `<root>/decisions/`). */
  constructor(root: string) {
    this.#dir = join(root, 'decisions');
  }

  async #revisions(messageId: string): Promise<number[]> {
    try {
      const names = await readdir(join(this.#dir, messageId));
      return names
        .map((n) => REVISION_FILE.exec(n)?.[1])
        .filter((r): r is string => r !== undefined)
        .map(Number)
        .sort((a, b) => b - a);
    } catch (err) {
      if (code(err) === 'ENOENT') return [];
      throw err;
    }
  }

  async #read(messageId: string, revision: number): Promise<DecisionRecord> {
    const cached = this.#cache.get(messageId);
    if (cached?.revision === revision) return cached.record;
    const file = join(this.#dir, messageId, fileName(revision));
    let json: unknown;
    try {
      json = JSON.parse(await readFile(file, 'utf8'));
    } catch (err) {
      throw new StoreCorruptError(`decision file ${file} cannot be read as JSON`, err);
    }
    const parsed = DecisionRecordSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new StoreCorruptError(`decision file ${file}: ${issue?.path.join('.')}: ${issue?.message}`, parsed.error);
    }
    const record: DecisionRecord = parsed.data;
    if (record.messageId !== messageId || record.revision !== revision) {
      throw new StoreCorruptError(
        `decision file ${file} holds messageId ${record.messageId} revision ${record.revision}; expected ${messageId} revision ${revision}`,
      );
    }
    this.#cache.set(messageId, { revision, record });
    return record;
  }

  async get(messageId: string): Promise<DecisionRecord | undefined> {
    if (!MESSAGE_ID.test(messageId)) return undefined;
    const [newest] = await this.#revisions(messageId);
    return newest === undefined ? undefined : this.#read(messageId, newest);
  }

  async put(record: DecisionRecord, expectedRevision: number): Promise<PutResult> {
    if (!MESSAGE_ID.test(record.messageId) || record.revision !== expectedRevision + 1) {
      throw new StoreCorruptError(
        `refusing to store messageId ${record.messageId} revision ${record.revision} over expected revision ${expectedRevision}`,
      );
    }
    const dir = join(this.#dir, record.messageId);
    const [newest] = await this.#revisions(record.messageId);
    if ((newest ?? 0) !== expectedRevision) return { kind: 'conflict', current: await this.get(record.messageId) };
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
    await writeFile(tmp, `${JSON.stringify(record, null, 2)}\n`);
    try {
      await link(tmp, join(dir, fileName(record.revision)));
    } catch (err) {
      if (code(err) === 'EEXIST') return { kind: 'conflict', current: await this.get(record.messageId) };
      throw err;
    } finally {
      await rm(tmp, { force: true });
    }
    this.#cache.set(record.messageId, { revision: record.revision, record });
    const old = (await this.#revisions(record.messageId)).slice(KEEP_REVISIONS);
    await Promise.all(old.map((r) => rm(join(dir, fileName(r)), { force: true })));
    return { kind: 'stored', record };
  }

  async list(query: DecisionQuery): Promise<readonly DecisionRecord[]> {
    let ids: string[];
    try {
      ids = (await readdir(this.#dir)).filter((n) => MESSAGE_ID.test(n));
    } catch (err) {
      if (code(err) === 'ENOENT') return [];
      throw err;
    }
    const out: DecisionRecord[] = [];
    for (const id of ids) {
      const r = await this.get(id);
      if (r === undefined) continue;
      if (query.reviewerId !== undefined && !involves(r, query.reviewerId)) continue;
      out.push(r);
    }
    return out;
  }
}

function involves(r: DecisionRecord, reviewerId: string): boolean {
  return r.log.some((e) => (e.kind === 'decided' ? e.decision.reviewer.id : e.reviewer.id) === reviewerId);
}
