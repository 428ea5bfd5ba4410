/**
 * Picks self-test images from a sample folder with an `index.json` of `[{file, scratches, ...}]` (the
 * demo model's samples/): half images with labelled defects (expected `defect`), half without
 * (expected `ok`), the smallest files first so that the model component stays small. Images whose
 * notes say there is no object at all ("no tag") are used only when nothing else is left.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ModelValidationError } from './errors.ts';
import type { SelfTestImage } from './package.ts';

const SampleIndexSchema = z.array(
  z.looseObject({ file: z.string().min(1), scratches: z.number().int().min(0), notes: z.string().optional() }),
);
const noObject = (notes: string | undefined) => /\bno tag\b/i.test(notes ?? '');

export async function selfTestsFromSamples(dir: string, count = 4): Promise<SelfTestImage[]> {
  if (!Number.isInteger(count) || count < 2 || count > 16) {
    throw new ModelValidationError('SELF_TEST_COUNT', `self-test count ${count}: expected 2..16`);
  }
  const indexPath = join(dir, 'index.json');
  let index: z.infer<typeof SampleIndexSchema>;
  try {
    index = SampleIndexSchema.parse(JSON.parse(await readFile(indexPath, 'utf8')));
  } catch (cause) {
    throw new ModelValidationError('SAMPLES_INDEX', `${indexPath} is missing or not a list of {file, scratches}`, {
      cause,
    });
  }
  const sized = await Promise.all(
    index
      .filter((s) => /\.(jpe?g|png)$/i.test(s.file) && !s.file.includes('/'))
      .map(async (s) => ({ ...s, sizeBytes: (await stat(join(dir, s.file))).size })),
  );
  const pick = (defect: boolean, n: number) =>
    sized
      .filter((s) => s.scratches > 0 === defect)
      .sort(
        (a, b) =>
          Number(noObject(a.notes)) - Number(noObject(b.notes)) ||
          a.sizeBytes - b.sizeBytes ||
          a.file.localeCompare(b.file),
      )
      .slice(0, n)
      .map((s): SelfTestImage => ({ path: join(dir, s.file), expectedVerdict: defect ? 'defect' : 'ok' }));
  const defects = pick(true, Math.ceil(count / 2));
  const clean = pick(false, Math.floor(count / 2));
  if (defects.length === 0 || clean.length === 0) {
    throw new ModelValidationError('SAMPLES_INDEX', `${indexPath} needs images both with and without defects`);
  }
  return [...defects, ...clean];
}
