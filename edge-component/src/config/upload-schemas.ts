/**
 * The `upload` section: which committed inspections go to the inspection store (S3 or a local folder),
 * how many at most, and the durable queue they wait in (src/upload/). Off by default.
 */
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { fraction, int, path, posInt } from './schema-builders.ts';

/** The key prefix the device role may write under (`<prefix>/<thing>/...`); the CDK policy names the default. */
export const DEFAULT_UPLOAD_PREFIX = 'inspections';
const PREFIX = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;
/** S3 bucket names: 3-63 lower-case letters, digits, dots and dashes, starting and ending with a letter or digit. */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

const capKey = (what: string, dflt: number) =>
  int('an integer from 1 to 1000000', 1, 1_000_000)
    .default(dflt)
    .describe(`Most inspections queued for upload in any ${what} (beyond: not uploaded, counted as capped).`);

export const UploadConfigSchema = z
  .strictObject({
    enabled: z
      .boolean({ error: 'expected true or false' })
      .default(false)
      .describe('Upload inspected images and their messages to the inspection store (S3 or a folder).'),
    target: z
      .enum(['s3', 'folder'], { error: 'expected "s3" or "folder"' })
      .default('s3')
      .describe(
        's3: a bucket (under Greengrass with the token exchange service credentials, elsewhere the AWS SDK default ' +
          'chain); folder: a local folder with the same layout (the one-machine world).',
      ),
    prefix: z
      .string({ error: 'expected a key prefix such as inspections' })
      .regex(PREFIX, { error: 'expected a key prefix: levels of letters, digits and "_.-" separated by "/"' })
      .default(DEFAULT_UPLOAD_PREFIX)
      .describe(
        'Key prefix: objects go to <prefix>/<thing>/<yyyy>/<mm>/<dd>/<verdict>/<messageId>.<ext|json>. The device ' +
          'role of the CDK app may write only under inspections/<its thing>/.',
      ),
    s3: z
      .strictObject({
        bucket: z
          .string({ error: 'expected an S3 bucket name' })
          .regex(BUCKET, { error: 'expected an S3 bucket name: 3-63 lower-case letters, digits, "." and "-"' })
          .optional()
          .describe('The inspection bucket (the CDK app names it edgeqc-inspections-<account>-<region>).'),
        region: z
          .string({ error: 'expected an AWS region such as eu-west-1' })
          .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { error: 'expected an AWS region such as eu-west-1' })
          .optional()
          .describe('Region of the bucket. Default: the SDK default chain (AWS_REGION; Greengrass sets it).'),
        endpoint: z
          .string({ error: 'expected an http(s) URL' })
          .regex(/^https?:\/\/[^\s/]+\/?$/, { error: 'expected an http(s) URL such as http://127.0.0.1:5000' })
          .optional()
          .describe('Endpoint override (an S3-compatible store or an emulator); addressed path-style.'),
      })
      .default({})
      .describe('The S3 target.'),
    folder: z
      .strictObject({
        dir: path('the inspection store folder')
          .optional()
          .describe('Root of the local inspection store (relative: to the base folder). Required with target folder.'),
      })
      .default({})
      .describe('The local folder target.'),
    okSampleRate: fraction()
      .default(0.02)
      .describe(
        'Share of `ok` inspections uploaded (every `unclear` and `defect` is), chosen by messageId so that an image ' +
          'inspected again decides the same.',
      ),
    caps: z
      .strictObject({
        perMinute: capKey('minute', 60),
        perHour: capKey('hour', 1000),
        perDay: capKey('day', 10_000),
      })
      .default({ perMinute: 60, perHour: 1000, perDay: 10_000 })
      .describe('Rate caps over sliding windows, for all verdicts together.'),
    queue: z
      .strictObject({
        dir: path('the upload queue folder').optional().describe('Default: <workDir>/upload.'),
        maxItems: posInt(1_000_000).default(2000).describe('Most inspections waiting for upload.'),
        maxBytes: posInt()
          .default(512 * 1024 ** 2)
          .describe('Most bytes (images and messages) waiting for upload; beyond either limit a new one is dropped.'),
      })
      .default({ maxItems: 2000, maxBytes: 512 * 1024 ** 2 })
      .describe('The durable upload queue on disk.'),
    retry: z
      .strictObject({
        minMs: int('an integer from 10 to 600000 milliseconds', 10, 600_000)
          .default(1000)
          .describe('First wait after a failed upload.'),
        maxMs: int('an integer from 10 to 3600000 milliseconds', 10, 3_600_000)
          .default(300_000)
          .describe('Longest wait between tries (capped exponential backoff).'),
      })
      .default({ minMs: 1000, maxMs: 300_000 })
      .describe('Backoff after a failed upload; the same inspection is tried again, forever unless refused.'),
    timeoutMs: int('an integer from 1000 to 600000 milliseconds', 1000, 600_000)
      .default(60_000)
      .describe('One object upload taking longer is abandoned and tried again.'),
  })
  .superRefine((u, ctx) => {
    if (!u.enabled) return;
    if (u.target === 's3' && u.s3.bucket === undefined) {
      ctx.addIssue({ code: 'custom', path: ['s3', 'bucket'], message: 'expected a bucket name with target s3' });
    }
    if (u.target === 'folder' && u.folder.dir === undefined) {
      ctx.addIssue({ code: 'custom', path: ['folder', 'dir'], message: 'expected a folder with target folder' });
    }
    if (u.retry.minMs > u.retry.maxMs) {
      ctx.addIssue({ code: 'custom', path: ['retry', 'minMs'], message: 'expected retry.minMs <= retry.maxMs' });
    }
  })
  .describe('Upload of inspected images to the inspection store (off by default).');

export type UploadConfig = z.output<typeof UploadConfigSchema>;

/** The defaults of the section, as the schema fills them (the agent schema's default for the key). */
export const UPLOAD_DEFAULTS: UploadConfig = UploadConfigSchema.parse({});

/** The section with its folders made absolute against `base` (parse-config.ts). */
export function resolveUploadPaths(u: UploadConfig, base: string): UploadConfig {
  const abs = (p: string | undefined) => (p === undefined ? undefined : isAbsolute(p) ? resolve(p) : resolve(base, p));
  return {
    ...u,
    folder: { ...u.folder, dir: abs(u.folder.dir) },
    queue: { ...u.queue, dir: abs(u.queue.dir) },
  };
}
