/**
 * A model's own threshold defaults: `thresholds.json` beside the model file (like `labels.txt`), a JSON
 * object with any of the manifest's threshold keys, e.g. `{ "iou": 0.5 }` for a detector whose maker
 * measured that it does best with that NMS setting. Packaging puts them in the manifest, under any
 * values given explicitly; keys left out keep the manifest's defaults. No file means no model defaults.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelValidationError } from './errors.ts';
import { type Thresholds, ThresholdsSchema } from './manifest.ts';

export const THRESHOLDS_FILE = 'thresholds.json';

/** The threshold defaults in `thresholds.json` in `modelDir` (the model file's folder); `{}` without one. */
export async function readModelThresholds(modelDir: string): Promise<Partial<Thresholds>> {
  const file = join(modelDir, THRESHOLDS_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ModelValidationError('THRESHOLDS_UNREADABLE', `${file} cannot be read`, { cause });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new ModelValidationError('THRESHOLDS_INVALID', `${file} is not valid JSON`, { cause });
  }
  const parsed = ThresholdsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = `${issue?.path.join('.') || '(top level)'}: ${issue?.message}`;
    throw new ModelValidationError(
      'THRESHOLDS_INVALID',
      `${file}: expected an object with any of confidence, iou, review, defect (0..1) and maxDetections; ${where}`,
    );
  }
  // Only the keys the file gives: the manifest fills in the rest (and explicit values win over these).
  return Object.fromEntries(Object.keys(raw as object).map((k) => [k, parsed.data[k as keyof Thresholds]]));
}
