/**
 * The committed JSON Schema files (edge-component/contracts/) against the zod schemas they are generated
 * from, and real messages against the files as a consumer validates them (ajv, draft 2020-12).
 *
 * Fixtures (fixtures/*.json) are messages this agent published, captured 2026-12-07:
 * - inspection-defect.json and error-quarantine.json: `npm run edgeqc -- inspect --json` with
 *   EDGEQC_THING_NAME=line-1 on the demo sample scratch-01.jpg and on the first 3,000 bytes of clean-01.jpg;
 * - status-online.json and status-offline.json: `npm run edgeqc -- watch --json` during
 *   `npm start -- --images 12 --interval 500` (the last online heartbeat and the final offline one).
 * - metrics-window.json: written by hand to edgeqc.metrics.v1 (.work/METRICS-SPEC.md), figures of a
 *   twelve-image window; tests/metrics/ checks the messages the agent itself publishes.
 * - error-drift.json: the MODEL_DRIFT event of tests/metrics/metrics-stage.test.ts's shifted scores.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ErrorEventSchema } from '../../src/contracts/error-event.ts';
import { InspectionSchema } from '../../src/contracts/inspection.ts';
import { CONTRACT_SCHEMAS_DIR, contractJsonSchemas } from '../../src/contracts/json-schema.ts';
import { MetricsSchema } from '../../src/contracts/metrics.ts';
import { StatusSchema } from '../../src/contracts/status.ts';

const committed = (file: string): unknown => JSON.parse(readFileSync(join(CONTRACT_SCHEMAS_DIR, file), 'utf8'));
const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;

describe('the committed contract schema files', () => {
  const generated = contractJsonSchemas();

  it.each(generated.map((g) => [g.file, g] as const))('%s is what zod generates now', (file, g) => {
    expect(committed(file), `edge-component/contracts/${file} is stale: run npm run contracts`).toEqual(g.jsonSchema);
  });

  it('are exactly one file per contract', () => {
    const files = readdirSync(CONTRACT_SCHEMAS_DIR).filter((f) => f.endsWith('.schema.json'));
    expect(files.sort()).toEqual(generated.map((g) => g.file).sort());
  });

  it('are what the package exports under @edgeqc/edge-component/contracts/<file>', () => {
    const require = createRequire(import.meta.url);
    for (const { file } of generated) {
      expect(require.resolve(`@edgeqc/edge-component/contracts/${file}`)).toBe(join(CONTRACT_SCHEMAS_DIR, file));
    }
  });

  it('would disagree with a zod schema that gained a field', () => {
    const changed = z.toJSONSchema(InspectionSchema.extend({ lineSpeed: z.number() }), { target: 'draft-2020-12' });
    expect(committed('edgeqc.inspection.v1.schema.json')).not.toEqual(changed);
  });
});

describe('a consumer validating with the files', () => {
  const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
  const ajv = addFormats(new Ajv2020({ strict: true, allErrors: true }));
  const validators = {
    inspection: { ajv: ajv.compile(committed('edgeqc.inspection.v1.schema.json') as object), zod: InspectionSchema },
    status: { ajv: ajv.compile(committed('edgeqc.status.v1.schema.json') as object), zod: StatusSchema },
    error: { ajv: ajv.compile(committed('edgeqc.error.v1.schema.json') as object), zod: ErrorEventSchema },
    metrics: { ajv: ajv.compile(committed('edgeqc.metrics.v1.schema.json') as object), zod: MetricsSchema },
  };
  type Kind = keyof typeof validators;
  const verdicts = (kind: Kind, message: unknown) => {
    const v = validators[kind];
    return { ajv: v.ajv(message), zod: v.zod.safeParse(message).success };
  };

  it.each([
    ['inspection', 'inspection-defect.json'],
    ['status', 'status-online.json'],
    ['status', 'status-offline.json'],
    ['error', 'error-quarantine.json'],
    ['metrics', 'metrics-window.json'],
    ['error', 'error-drift.json'],
  ] as const)('accepts a real %s message (%s)', (kind, name) => {
    const message = fixture(name);
    expect(validators[kind].ajv(message), JSON.stringify(validators[kind].ajv.errors)).toBe(true);
    expect(verdicts(kind, message)).toEqual({ ajv: true, zod: true });
  });

  const inspection = fixture('inspection-defect.json');
  const status = fixture('status-online.json');
  const error = fixture('error-quarantine.json');
  const metrics = fixture('metrics-window.json');
  const [detection] = inspection.detections as Record<string, unknown>[];
  it.each([
    ['inspection', 'an unknown top-level key', { ...inspection, lineSpeed: 3 }],
    ['inspection', 'no messageId', { ...inspection, messageId: undefined }],
    [
      'inspection',
      'an upper-case image sha256',
      { ...inspection, image: { ...(inspection.image as object), sha256: 'AB'.repeat(32) } },
    ],
    [
      'inspection',
      'a time with an offset instead of Z',
      { ...inspection, inspectedAt: '2026-12-07T15:57:44.477+01:00' },
    ],
    [
      'inspection',
      'a negative box edge',
      { ...inspection, detections: [{ ...detection, box: { x: -1, y: 0, width: 1, height: 1 } }] },
    ],
    ['inspection', 'an unknown verdict', { ...inspection, verdict: 'maybe' }],
    ['status', 'an unknown state', { ...status, state: 'sleeping' }],
    ['status', 'a fractional queue depth', { ...status, queueDepth: 1.5 }],
    ['status', 'a model that is neither a model nor null', { ...status, model: 'tag-scratch' }],
    ['error', 'an unknown kind', { ...error, kind: 'oops' }],
    ['error', 'an empty code', { ...error, code: '' }],
    ['error', 'drift figures without a PSI', { ...error, kind: 'drift', drift: { limit: 0.25 } }],
    ['metrics', 'an unclear rate above 1', { ...metrics, unclearRate: 1.5 }],
    [
      'metrics',
      'nine score bins',
      { ...metrics, bestScore: { ...(metrics.bestScore as object), counts: [1, 2, 3, 4, 5, 6, 7, 8, 9] } },
    ],
    ['metrics', 'a fractional image count', { ...metrics, images: 12.5 }],
    ['metrics', 'no drift figures', { ...metrics, drift: undefined }],
    [
      'metrics',
      'a model without its sha256',
      { ...metrics, model: { name: 'tag-scratch', version: '1', precision: 'int8' } },
    ],
  ] as const)('refuses, as zod does, a %s message with %s', (kind, _case, message) => {
    expect(verdicts(kind, JSON.parse(JSON.stringify(message)))).toEqual({ ajv: false, zod: false });
  });
});
