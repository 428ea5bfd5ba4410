/** The agent configuration's retention (done/ and quarantine/) and watchdog sections. */
import { z } from 'zod';
import { int } from './schema-builders.ts';

const GiB = 1024 * 1024 * 1024;
const MiB = 1024 * 1024;

const days = () => int('a number of days from 0 to 3650', 0, 3650);
const bytes = () => int('a number of bytes (0 or more)', 0, Number.MAX_SAFE_INTEGER);

/** The quotas of one archive folder: files beyond either are deleted, oldest first. */
export const FolderQuotaSchema = z.strictObject({
  maxAgeDays: days().describe(
    'Files older than this many days are deleted, oldest first; 0: no age limit. Age counts from when the ' +
      'file arrived in the folder (its inode change time, set by the system clock when the agent moved it ' +
      'there), never from its mtime: a camera clock that jumps (mtimes in the future or the past) never ' +
      'makes a fresh file look old.',
  ),
  maxBytes: bytes().describe('Most bytes the folder holds; beyond it the oldest files are deleted. 0: no size limit.'),
});
export type FolderQuota = z.infer<typeof FolderQuotaSchema>;

export const RetentionConfigSchema = z
  .strictObject({
    done: FolderQuotaSchema.default({ maxAgeDays: 30, maxBytes: 2 * GiB }).describe(
      'done/<verdict>/ (and annotated/): inspected images. Default: 30 days, 2 GiB.',
    ),
    quarantine: FolderQuotaSchema.default({ maxAgeDays: 30, maxBytes: 512 * MiB }).describe(
      'quarantine/: refused files and their .reason.json. Default: 30 days, 512 MiB.',
    ),
    intervalSec: int('an integer from 1 to 86400', 1, 86_400)
      .default(300)
      .describe('How often retention runs (and once at start). Default 300 s.'),
    maxDeletesPerPass: int('an integer from 1 to 100000', 1, 100_000)
      .default(1000)
      .describe('Most files deleted in one pass, so a pass never holds the disk for long; the rest go next pass.'),
  })
  .describe('Retention of done/ and quarantine/: the oldest files go first, by age and by size.');
export type RetentionConfig = z.infer<typeof RetentionConfigSchema>;

export const WatchdogConfigSchema = z
  .strictObject({
    inferenceTimeoutMs: int('an integer from 0 to 600000', 0, 600_000)
      .default(30_000)
      .describe(
        'With detectorThread worker: an inference worker that answers nothing for this long while images wait ' +
          'is restarted, and the image is tried once more; hung twice, it is quarantined (INSPECTION_HUNG). ' +
          '0: no watchdog. Default 30000.',
      ),
  })
  .describe('The watchdog for a hung inference.');
export type WatchdogConfig = z.infer<typeof WatchdogConfigSchema>;
