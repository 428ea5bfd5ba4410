/** A configuration's problems, one line each: `key.path: expected ..., got <value>`. */
import type { z } from 'zod';
import { redactUrl } from '../adapters/mqtt-url.ts';
import { AgentConfigSchema } from './agent-config-schema.ts';

function valueAt(raw: unknown, keyPath: readonly PropertyKey[]): unknown {
  let v = raw;
  for (const k of keyPath) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

export function show(value: unknown): string {
  if (value === undefined) return 'nothing (the key is missing)';
  if (typeof value === 'string' && value.includes('-----BEGIN'))
    return `"${value.slice(0, 30).replace(/\n/g, '\\n')}..."`;
  // A broker URL's password never reaches an error message.
  const text = JSON.stringify(typeof value === 'string' ? redactUrl(value) : value);
  if (text === undefined) return String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function keyPathText(keyPath: readonly PropertyKey[]): string {
  let out = '';
  for (const k of keyPath) {
    if (typeof k === 'number') out += `[${k}]`;
    else out += out === '' ? String(k) : `.${String(k)}`;
  }
  return out === '' ? '(config)' : out;
}

/** One line per problem: `key.path: expected ..., got <value>`. */
export function describeConfigIssues(error: z.ZodError, raw: unknown): string[] {
  const lines: string[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      const allowed = issue.path.length === 0 ? Object.keys(AgentConfigSchema.shape).join(', ') : undefined;
      for (const key of issue.keys) {
        lines.push(
          `${keyPathText([...issue.path, key])}: unknown key${allowed ? ` (expected one of ${allowed})` : ''}, got ${show(valueAt(raw, [...issue.path, key]))}`,
        );
      }
      continue;
    }
    lines.push(`${keyPathText(issue.path)}: ${issue.message}, got ${show(valueAt(raw, issue.path))}`);
  }
  return lines;
}
