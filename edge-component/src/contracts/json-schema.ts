/**
 * The message contracts as JSON Schema (draft 2020-12) for consumers that do not run zod, generated
 * from the zod schemas by zod's own `z.toJSONSchema`. `npm run contracts` writes them to
 * edge-component/contracts/ (committed, exported as `@edgeqc/edge-component/contracts/<file>`);
 * tests/contracts/ fails when a committed file and its zod schema disagree.
 */
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ERROR_EVENT_SCHEMA_ID, ErrorEventSchema } from './error-event.ts';
import { INSPECTION_SCHEMA_ID, InspectionSchema } from './inspection.ts';
import { METRICS_SCHEMA_ID, MetricsSchema } from './metrics.ts';
import { STATUS_SCHEMA_ID, StatusSchema } from './status.ts';

/** Where the generated files are committed: edge-component/contracts/. */
export const CONTRACT_SCHEMAS_DIR = fileURLToPath(new URL('../../contracts/', import.meta.url));

const contracts = [
  { id: INSPECTION_SCHEMA_ID, schema: InspectionSchema },
  { id: STATUS_SCHEMA_ID, schema: StatusSchema },
  { id: ERROR_EVENT_SCHEMA_ID, schema: ErrorEventSchema },
  { id: METRICS_SCHEMA_ID, schema: MetricsSchema },
] as const;

export interface ContractJsonSchema {
  /** `edgeqc.inspection.v1.schema.json`: the message's `schema` value, then `.schema.json`. */
  readonly file: string;
  readonly jsonSchema: Readonly<Record<string, unknown>>;
  /** The file's text: two-space JSON and a final newline. */
  readonly text: string;
}

/** Generates the JSON Schema of every message contract; throws if a zod schema has no JSON Schema form. */
export function contractJsonSchemas(): readonly ContractJsonSchema[] {
  return contracts.map(({ id, schema }) => {
    const jsonSchema = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'output', unrepresentable: 'throw' });
    return { file: `${id}.schema.json`, jsonSchema, text: `${JSON.stringify(jsonSchema, null, 2)}\n` };
  });
}
