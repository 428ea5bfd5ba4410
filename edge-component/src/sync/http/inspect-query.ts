/**
 * The query of `POST /v1/inspect`: `publish` and `archive` (exactly `true` or `false`), and `name`, the
 * file name recorded in the message (and used under done/<verdict>/ when archived). Anything else, a
 * repeated parameter or an unknown one, is refused with 400 naming it: a misspelt `archve=true` must
 * not be dropped silently.
 */
import { HttpApiCode, HttpApiError } from '../../errors.ts';

export interface InspectQuery {
  readonly publish: boolean;
  readonly archive: boolean;
  readonly name?: string;
}

const KNOWN = new Set(['publish', 'archive', 'name']);
const MAX_NAME_CHARS = 255;
// A plain file name: no path separator, no control character, not "." or "..".
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
const NAME = /^[^/\\\x00-\x1f\x7f]+$/;

function refuse(message: string): never {
  throw new HttpApiError(HttpApiCode.BadRequest, message);
}

function single(key: string, value: unknown): string {
  if (typeof value !== 'string') refuse(`query parameter ${key} is given more than once: give it once`);
  return value;
}

function flag(key: string, value: unknown): boolean {
  if (value === undefined) return false;
  const text = single(key, value);
  if (text !== 'true' && text !== 'false')
    refuse(`query parameter ${key}=${JSON.stringify(text)}: expected true or false`);
  return text === 'true';
}

/** The validated query; throws HttpApiError HTTP_BAD_REQUEST naming the parameter. */
export function parseInspectQuery(query: unknown): InspectQuery {
  const q: Record<string, unknown> = typeof query === 'object' && query !== null ? { ...query } : {};
  const unknown = Object.keys(q).filter((k) => !KNOWN.has(k));
  if (unknown.length > 0) {
    refuse(
      `unknown query parameter ${unknown.map((k) => JSON.stringify(k)).join(', ')}: expected publish, archive, name`,
    );
  }
  const publish = flag('publish', q.publish);
  const archive = flag('archive', q.archive);
  if (q.name === undefined) return { publish, archive };
  const name = single('name', q.name);
  if (name.length > MAX_NAME_CHARS || !NAME.test(name) || name === '.' || name === '..') {
    refuse(
      `query parameter name=${JSON.stringify(name.slice(0, 80))}: expected a file name of 1 to ${MAX_NAME_CHARS} ` +
        'characters without "/", "\\" or control characters',
    );
  }
  return { publish, archive, name };
}
