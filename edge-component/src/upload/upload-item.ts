/**
 * One queued upload on disk: a single self-checking file holding what is uploaded (the image bytes and
 * the inspection message) and where it goes.
 *
 *   offset 0  4 bytes  magic "EQU1"
 *          4  u32 BE   meta length      8  u32 BE  image length     12  u32 BE  message length
 *         16  u32 BE   CRC-32 of everything after the header
 *         20  meta (UTF-8 JSON: UploadItemMeta), image bytes, message bytes
 *
 * The file is written under a temporary name, fsync'ed and renamed, so a crash never leaves half an
 * item under an item's name; the CRC catches what the disk damaged later. File name:
 * `<seq, 12 digits>-<queued at, ms>-<messageId>.item`, so the queue's order, the caps' history and
 * the duplicate check come from a folder listing without reading any item.
 */
import { crc32 } from 'node:zlib';
import { UploadError } from '../errors.ts';

const MAGIC = Buffer.from('EQU1', 'latin1');
const HEADER_BYTES = 20;

export interface UploadItemMeta {
  readonly messageId: string;
  readonly thingName: string;
  readonly verdict: string;
  readonly modelVersion: string;
  readonly imageKey: string;
  readonly messageKey: string;
  readonly imageContentType: string;
}

export interface UploadItem {
  readonly meta: UploadItemMeta;
  readonly image: Uint8Array;
  /** The edgeqc.inspection.v1 message, as published. */
  readonly message: Uint8Array;
}

/** What a file name says about its item. */
export interface ItemName {
  readonly name: string;
  readonly seq: number;
  readonly queuedAtMs: number;
  readonly messageId: string;
}

const NAME = /^(\d{12})-(\d{1,15})-([0-9a-f]{64})\.item$/;

export function itemName(seq: number, queuedAtMs: number, messageId: string): string {
  return `${String(seq).padStart(12, '0')}-${Math.max(0, Math.floor(queuedAtMs))}-${messageId}.item`;
}

export function parseItemName(name: string): ItemName | undefined {
  const m = NAME.exec(name);
  if (!m) return undefined;
  return { name, seq: Number(m[1]), queuedAtMs: Number(m[2]), messageId: m[3] as string };
}

export function encodeItem(item: UploadItem): Buffer {
  const meta = Buffer.from(JSON.stringify(item.meta), 'utf8');
  const out = Buffer.allocUnsafe(HEADER_BYTES + meta.length + item.image.length + item.message.length);
  MAGIC.copy(out, 0);
  out.writeUInt32BE(meta.length, 4);
  out.writeUInt32BE(item.image.length, 8);
  out.writeUInt32BE(item.message.length, 12);
  meta.copy(out, HEADER_BYTES);
  out.set(item.image, HEADER_BYTES + meta.length);
  out.set(item.message, HEADER_BYTES + meta.length + item.image.length);
  out.writeUInt32BE(crc32(out.subarray(HEADER_BYTES)), 16);
  return out;
}

const STRING_FIELDS = [
  'messageId',
  'thingName',
  'verdict',
  'modelVersion',
  'imageKey',
  'messageKey',
  'imageContentType',
] as const;

/** Decodes an item file; throws UPLOAD_ITEM_CORRUPT naming `file` when it does not check out. */
export function decodeItem(bytes: Buffer, file: string): UploadItem {
  const corrupt = (why: string) => new UploadError('UPLOAD_ITEM_CORRUPT', `upload item ${file}: ${why}`);
  if (bytes.length < HEADER_BYTES || !bytes.subarray(0, 4).equals(MAGIC)) throw corrupt('not an upload item');
  const metaLength = bytes.readUInt32BE(4);
  const imageLength = bytes.readUInt32BE(8);
  const messageLength = bytes.readUInt32BE(12);
  if (HEADER_BYTES + metaLength + imageLength + messageLength !== bytes.length) {
    throw corrupt(`expected ${HEADER_BYTES + metaLength + imageLength + messageLength} bytes, got ${bytes.length}`);
  }
  if (crc32(bytes.subarray(HEADER_BYTES)) !== bytes.readUInt32BE(16)) throw corrupt('CRC mismatch');
  let meta: Record<string, unknown>;
  try {
    meta = JSON.parse(bytes.subarray(HEADER_BYTES, HEADER_BYTES + metaLength).toString('utf8'));
  } catch (cause) {
    throw new UploadError('UPLOAD_ITEM_CORRUPT', `upload item ${file}: its meta is not JSON`, { cause });
  }
  for (const key of STRING_FIELDS) {
    if (typeof meta[key] !== 'string') throw corrupt(`meta.${key}: expected a string`);
  }
  const imageStart = HEADER_BYTES + metaLength;
  return {
    meta: meta as unknown as UploadItemMeta,
    image: new Uint8Array(bytes.subarray(imageStart, imageStart + imageLength)),
    message: new Uint8Array(bytes.subarray(imageStart + imageLength)),
  };
}
