/**
 * The inspection's messageId: sha256 hex of `<image sha256>:<model sha256>`. The same image inspected
 * by the same model always gets the same id (a re-publish after a crash carries it, so consumers drop
 * duplicates); another model gives another id.
 */
import { createHash } from 'node:crypto';

export function messageIdOf(imageSha256: string, modelSha256: string): string {
  return createHash('sha256').update(`${imageSha256}:${modelSha256}`, 'utf8').digest('hex');
}
