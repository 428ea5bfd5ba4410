/**
 * One image file inspected exactly as the agent would, for `edgeqc inspect`: admit (magic bytes, limits,
 * sha256), prepare for the serving model, inspect; a file that cannot be inspected becomes the
 * `edgeqc.error.v1` message the agent would publish on /errors. Files are only read.
 */
import { lstat } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileTypeOf } from '../adapters/file-identity.ts';
import { errorEvent } from '../agent/agent-messages.ts';
import { rejectionOf } from '../agent/pipeline.ts';
import type { ErrorEvent, Inspection } from '../contracts/index.ts';
import { IntakeFileError } from '../errors.ts';
import { inspectImage } from '../inference/inspect-image.ts';
import type { OpenedModel } from './open-model.ts';

export type InspectOutcome =
  | { readonly kind: 'inspection'; readonly inspection: Inspection }
  | { readonly kind: 'error'; readonly error: ErrorEvent };

/** Inspects one file; a bad file is an error message, not a throw. */
export async function inspectFile(model: OpenedModel, path: string, thingName: string): Promise<InspectOutcome> {
  let sha256: string | undefined;
  try {
    // As the agent does: lstat, a symbolic link or other non-regular file is refused, never followed.
    const info = await lstat(path);
    if (!info.isFile()) {
      throw new IntakeFileError(
        'IMAGE_NOT_REGULAR_FILE',
        `${path} is ${fileTypeOf(info)}, not a regular file; it is not followed or read`,
      );
    }
    const image = await model.preparer.admit({ path, sizeBytes: info.size, mtimeMs: info.mtimeMs });
    sha256 = image.sha256;
    const prepared = await model.preparer.prepare(image, model.detector.manifest.input);
    return { kind: 'inspection', inspection: await inspectImage(prepared, model.detector, { thingName }) };
  } catch (err) {
    const { code, message } = rejectionOf(err, path);
    return {
      kind: 'error',
      error: errorEvent({
        thingName,
        at: new Date(),
        kind: 'quarantine',
        code,
        message,
        file: basename(path),
        ...(sha256 ? { sha256 } : {}),
      }),
    };
  }
}
