/**
 * The shapes the API accepts, as zod schemas, and `parseRequest` which turns the first problem into a
 * 400 naming the field (`boxes.2.width`), the value and what was expected.
 */
import { z } from 'zod';
import { InvalidRequestError } from '../errors.ts';

/** Most boxes one decision carries (the inspection message's own cap). */
export const MAX_BOXES = 300;
/** Most items one "mark all as ok" carries (more than a page holds). */
export const MAX_BATCH_ITEMS = 100;
/** Largest page of the list. */
export const MAX_PAGE_SIZE = 100;

export const MessageIdSchema = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lower-case hex digits');

const Pixel = z.number().finite().min(0).max(100_000);

export const BoxSchema = z.strictObject({
  x: Pixel,
  y: Pixel,
  width: Pixel,
  height: Pixel,
  label: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[\w .-]+$/, 'expected letters, digits, space, dot, dash or underscore'),
});

export const DecisionBodySchema = z.strictObject({
  verdict: z.enum(['ok', 'defect']),
  boxes: z.array(BoxSchema).max(MAX_BOXES),
  expectedRevision: z.number().int().min(0),
});

export const BatchBodySchema = z.strictObject({
  verdict: z.literal('ok'),
  items: z
    .array(z.strictObject({ messageId: MessageIdSchema, expectedRevision: z.number().int().min(0) }))
    .min(1)
    .max(MAX_BATCH_ITEMS),
});

const Instant = z.union([z.iso.datetime({ offset: true }), z.iso.date()], 'expected an ISO date or date-time');

export const ListQuerySchema = z.strictObject({
  status: z.enum(['pending', 'done', 'all']).default('pending'),
  thing: z.string().min(1).max(128).optional(),
  verdict: z.enum(['ok', 'defect', 'unclear']).optional(),
  modelVersion: z.string().min(1).max(64).optional(),
  from: Instant.optional(),
  to: Instant.optional(),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(24),
});
export type ListQuery = z.infer<typeof ListQuerySchema>;

function describe(value: unknown): string {
  const s = JSON.stringify(value);
  if (s === undefined) return String(value);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

/** Parses `input` or throws INVALID_REQUEST naming `<where>.<path>` (where: body, query, params). */
export function parseRequest<T>(schema: z.ZodType<T>, input: unknown, where: string): T {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = issue?.path ?? [];
  if (issue?.code === 'unrecognized_keys') {
    const field = [...path, issue.keys[0] ?? ''].map(String).join('.');
    throw new InvalidRequestError(field, `${where} field '${field}' is not allowed (unknown key)`);
  }
  const field = path.length === 0 ? where : path.map(String).join('.');
  throw new InvalidRequestError(
    field,
    `${where} field '${field}': ${issue?.message ?? 'invalid'}; got ${describe(valueAt(input, path))}`,
  );
}
