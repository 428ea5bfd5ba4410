/**
 * One image file inspected exactly as the agent would, for `edgeqc inspect`: admit (magic bytes, limits,
 * sha256), prepare for the serving model, inspect; a file that cannot be inspected becomes the
 * `edgeqc.error.v1` message the agent would publish on /errors. Files are only read.
 */
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { errorEvent } from '../agent/agent-messages.ts';
import { rejectionOf } from '../agent/pipeline.ts';
import type { ErrorEvent, Inspection } from '../contracts/index.ts';
import { inspectImage } from '../inference/inspect-image.ts';
import type { OpenedModel } from './open-model.ts';

export type InspectOutcome =
  | { readonly kind: 'inspection'; readonly inspection: Inspection }
  | { readonly kind: 'error'; readonly error: ErrorEvent };

/** Inspects one file; a bad file is an error message, not a throw. */
export async function inspectFile(model: OpenedModel, path: string, thingName: string): Promise<InspectOutcome> {
  let sha256: string | undefined;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw Object.assign(new Error(`${path} is not a regular file`), { code: 'EISDIR' });
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
