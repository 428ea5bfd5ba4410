/**
 * The outbox's on-disk record: one self-checking frame per entry, appended to a segment file.
 *
 *   offset 0  4 bytes  magic "EQO1"
 *          4  u32 BE   body length
 *          8  u32 BE   CRC-32 of the body
 *         12  body:    u32 BE meta length, meta (UTF-8 JSON {seq, topic, messageId?}), payload bytes
 *
 * A frame cut short by a crash (or a disk error) fails the length or CRC check: the scanner reports
 * it as a bad range and resynchronises on the next frame that checks out, so a torn or damaged entry is
 * never delivered and never hides the entries after it.
 */
import { crc32 } from 'node:zlib';

const MAGIC = Buffer.from('EQO1', 'latin1');
export const HEADER_BYTES = 12;

export interface RecordMeta {
  readonly seq: number;
  readonly topic: string;
  readonly messageId?: string;
}

/** Where a record sits in its segment file, without its payload (kept on disk, read when sent). */
export interface RecordLocation extends RecordMeta {
  readonly offset: number;
  /** Frame length (header + body). */
  readonly length: number;
  readonly payloadBytes: number;
}

export interface BadRange {
  readonly offset: number;
  readonly length: number;
  readonly reason: string;
}

export function encodeRecord(meta: RecordMeta, payload: Uint8Array): Buffer {
  const metaBytes = Buffer.from(
    JSON.stringify(
      meta.messageId === undefined
        ? { seq: meta.seq, topic: meta.topic }
        : { seq: meta.seq, topic: meta.topic, messageId: meta.messageId },
    ),
    'utf8',
  );
  const bodyLength = 4 + metaBytes.length + payload.length;
  const frame = Buffer.allocUnsafe(HEADER_BYTES + bodyLength);
  MAGIC.copy(frame, 0);
  frame.writeUInt32BE(bodyLength, 4);
  frame.writeUInt32BE(metaBytes.length, HEADER_BYTES);
  metaBytes.copy(frame, HEADER_BYTES + 4);
  frame.set(payload, HEADER_BYTES + 4 + metaBytes.length);
  frame.writeUInt32BE(crc32(frame.subarray(HEADER_BYTES)), 8);
  return frame;
}

type Decoded =
  | { readonly ok: true; readonly meta: RecordMeta; readonly length: number; readonly payloadStart: number }
  | { readonly ok: false; readonly reason: string; readonly torn: boolean };

function parseMeta(bytes: Buffer): RecordMeta | undefined {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined; // reported by the caller as a bad record
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { seq, topic, messageId } = value as Record<string, unknown>;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) return undefined;
  if (typeof topic !== 'string' || topic.length === 0) return undefined;
  if (messageId !== undefined && typeof messageId !== 'string') return undefined;
  return messageId === undefined ? { seq, topic } : { seq, topic, messageId };
}

/** Decodes the frame starting at `offset` of `buf`. */
export function decodeAt(buf: Buffer, offset: number): Decoded {
  const remaining = buf.length - offset;
  if (remaining < HEADER_BYTES) return { ok: false, reason: 'truncated header', torn: true };
  if (!buf.subarray(offset, offset + 4).equals(MAGIC)) return { ok: false, reason: 'bad magic', torn: false };
  const bodyLength = buf.readUInt32BE(offset + 4);
  if (bodyLength < 4) return { ok: false, reason: 'bad body length', torn: false };
  if (HEADER_BYTES + bodyLength > remaining) return { ok: false, reason: 'truncated body', torn: true };
  const body = buf.subarray(offset + HEADER_BYTES, offset + HEADER_BYTES + bodyLength);
  if (crc32(body) !== buf.readUInt32BE(offset + 8)) return { ok: false, reason: 'CRC mismatch', torn: false };
  const metaLength = body.readUInt32BE(0);
  if (4 + metaLength > bodyLength) return { ok: false, reason: 'bad meta length', torn: false };
  const meta = parseMeta(body.subarray(4, 4 + metaLength));
  if (!meta) return { ok: false, reason: 'bad meta', torn: false };
  return { ok: true, meta, length: HEADER_BYTES + bodyLength, payloadStart: offset + HEADER_BYTES + 4 + metaLength };
}

/** Decodes one whole frame read back from disk (for sending); undefined when it does not check out. */
export function decodeFrame(frame: Buffer): { meta: RecordMeta; payload: Uint8Array } | undefined {
  const d = decodeAt(frame, 0);
  if (!d.ok || d.length !== frame.length) return undefined;
  return { meta: d.meta, payload: new Uint8Array(frame.subarray(d.payloadStart)) };
}

/** Scans a whole segment: the records that check out, and the byte ranges that do not. */
export function scanSegment(buf: Buffer): { records: RecordLocation[]; bad: BadRange[] } {
  const records: RecordLocation[] = [];
  const bad: BadRange[] = [];
  let offset = 0;
  while (offset < buf.length) {
    const d = decodeAt(buf, offset);
    if (d.ok) {
      records.push({ ...d.meta, offset, length: d.length, payloadBytes: offset + d.length - d.payloadStart });
      offset += d.length;
      continue;
    }
    // Resynchronise: the next offset where a frame checks out (or the end of the file).
    let next = offset + 1;
    for (; next < buf.length; next += 1) {
      next = buf.indexOf(MAGIC, next);
      if (next < 0) {
        next = buf.length;
        break;
      }
      if (decodeAt(buf, next).ok) break;
    }
    bad.push({ offset, length: next - offset, reason: d.reason });
    offset = next;
  }
  return { records, bad };
}
