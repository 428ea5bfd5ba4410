/**
 * One image's intake and the plain helpers the stages share.
 *
 * `admitAndPrepare` (the intake stage runs several at once): read, sniff and hash the file; when its
 * sha256 is not in the seen index, decode and letterbox it for the model that serves now. Never throws:
 * a failure is part of the result. `rejectionOf` names why an image cannot be inspected;
 * `recoveredInspection` stands in for the inspection of an image a crash left unmoved.
 */
import type { Manifest } from '@edgeqc/model-component/manifest';
import type { Inspection } from '../contracts/inspection.ts';
import { EdgeError, hasCode, ImageRejectedCode, IntakeFileCode, messageOf } from '../errors.ts';
import type { AdmittedImage, CameraFile, Detector, PreparedImage, SeenRecord } from '../ports.ts';

export type IntakeResult =
  | { readonly kind: 'gone'; readonly file: CameraFile; readonly message: string }
  | {
      readonly kind: 'rejected';
      readonly file: CameraFile;
      readonly code: string;
      readonly message: string;
      readonly sha256?: string;
    }
  | {
      readonly kind: 'admitted';
      readonly file: CameraFile;
      readonly image: AdmittedImage;
      /** Absent when the image was already in the seen index (or no model served to prepare for). */
      readonly prepared?: PreparedImage;
      readonly preparedFor?: Manifest['input'];
    };

export interface StageOneDeps {
  admit(file: CameraFile): Promise<AdmittedImage>;
  prepare(image: AdmittedImage, input: Manifest['input']): Promise<PreparedImage>;
  seen(sha256: string): SeenRecord | undefined;
  /** The input of the model that serves now (null when none does). */
  servingInput(): Manifest['input'] | null;
}

/** A rejection's code and message: the agent's own codes, or IMAGE_UNREADABLE for anything else. */
export function rejectionOf(err: unknown, file: string): { code: string; message: string } {
  if (err instanceof EdgeError) return { code: err.code, message: err.message };
  return { code: ImageRejectedCode.Unreadable, message: `${file} cannot be read: ${messageOf(err)}` };
}

export async function admitAndPrepare(deps: StageOneDeps, file: CameraFile): Promise<IntakeResult> {
  let image: AdmittedImage;
  try {
    image = await deps.admit(file);
  } catch (err) {
    if (hasCode(err, 'ENOENT')) return { kind: 'gone', file, message: `${file.path} disappeared before it was read` };
    // Changed on the way in (replaced, rewritten): not quarantined; the camera source offers it again.
    if (hasCode(err, IntakeFileCode.Changed)) return { kind: 'gone', file, message: messageOf(err) };
    return { kind: 'rejected', file, ...rejectionOf(err, file.path) };
  }
  const input = deps.servingInput();
  if (deps.seen(image.sha256) || input === null) return { kind: 'admitted', file, image };
  try {
    return { kind: 'admitted', file, image, prepared: await deps.prepare(image, input), preparedFor: input };
  } catch (err) {
    return { kind: 'rejected', file, sha256: image.sha256, ...rejectionOf(err, file.path) };
  }
}

/** Two model inputs that take the same tensor. */
export function sameInput(a: Manifest['input'] | undefined, b: Manifest['input']): boolean {
  return a !== undefined && JSON.stringify(a) === JSON.stringify(b);
}

/**
 * What a crash left behind: the inspection went into the outbox and the seen index, but the file was
 * not moved. The archive needs an inspection to pick the folder; the original detections are gone with
 * the crashed process, so the annotated copy (if configured) shows none.
 */
export function recoveredInspection(record: SeenRecord, image: AdmittedImage, detector: Detector | null): Inspection {
  const model = detector?.model ?? { name: 'unknown', version: '0.0.0', sha256: '0'.repeat(64), precision: 'int8' };
  const now = new Date().toISOString();
  return {
    schema: 'edgeqc.inspection.v1',
    messageId: record.messageId,
    thingName: 'recovered',
    image: { file: record.file, sha256: record.sha256, width: 1, height: 1 },
    capturedAt: new Date(image.mtimeMs).toISOString(),
    inspectedAt: now,
    model,
    verdict: record.verdict,
    thresholds: { confidence: 0, iou: 1, review: 0, defect: 0 },
    detections: [],
    timingsMs: { decode: 0, preprocess: 0, inference: 0, postprocess: 0, total: 0 },
  };
}
