/**
 * Where an inspection goes in the inspection store (S3 keys, or paths under a local folder root): the
 * layout the review app reads.
 *
 *   <prefix>/<thing>/<yyyy>/<mm>/<dd>/<verdict>/<messageId>.<jpg|png>   the image, as received
 *   <prefix>/<thing>/<yyyy>/<mm>/<dd>/<verdict>/<messageId>.json        the edgeqc.inspection.v1 message
 *
 * The date is the message's capturedAt in UTC, so every piece of the key comes from the message: an
 * upload tried again (after a crash, or after the same image was inspected again) is the same object.
 * Pure.
 */
import type { Inspection } from '../contracts/inspection.ts';
import { UploadError } from '../errors.ts';

export type UploadImageFormat = 'jpeg' | 'png';

export interface UploadKeys {
  readonly image: string;
  readonly message: string;
  readonly imageContentType: 'image/jpeg' | 'image/png';
}

const THING = /^[a-zA-Z0-9:_-]{1,128}$/;
const MESSAGE_ID = /^[0-9a-f]{64}$/;

const two = (n: number) => String(n).padStart(2, '0');

/** The image's and the message's keys of one inspection under `prefix` (no leading or trailing "/"). */
export function uploadKeys(
  prefix: string,
  inspection: Pick<Inspection, 'thingName' | 'messageId' | 'verdict' | 'capturedAt'>,
  format: UploadImageFormat,
): UploadKeys {
  const { thingName, messageId, verdict, capturedAt } = inspection;
  if (!THING.test(thingName)) {
    throw new UploadError('UPLOAD_REFUSED', `thingName ${JSON.stringify(thingName)}: expected an AWS IoT thing name`);
  }
  if (!MESSAGE_ID.test(messageId)) {
    throw new UploadError(
      'UPLOAD_REFUSED',
      `messageId ${JSON.stringify(messageId)}: expected 64 lower-case hex digits`,
    );
  }
  const at = new Date(capturedAt);
  if (Number.isNaN(at.getTime())) {
    throw new UploadError('UPLOAD_REFUSED', `capturedAt ${JSON.stringify(capturedAt)}: expected an ISO date-time`);
  }
  const folder = [
    prefix,
    thingName,
    String(at.getUTCFullYear()).padStart(4, '0'),
    two(at.getUTCMonth() + 1),
    two(at.getUTCDate()),
    verdict,
  ].join('/');
  return {
    image: `${folder}/${messageId}.${format === 'png' ? 'png' : 'jpg'}`,
    message: `${folder}/${messageId}.json`,
    imageContentType: format === 'png' ? 'image/png' : 'image/jpeg',
  };
}
