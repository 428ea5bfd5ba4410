/**
 * A small ZIP writer and reader (PKWARE APPNOTE: local headers, central directory, end record;
 * methods 0 stored and 8 deflate; no ZIP64, so < 4 GiB and < 65,535 entries). Enough for Greengrass
 * artifacts (`Unarchive: ZIP`) and for unpacking them on the one-machine fleet.
 *
 * The writer is deterministic: entries in the given order, a fixed timestamp, Unix modes kept in the
 * external attributes, so the same inputs give the same bytes (and the same Greengrass digest).
 * The reader checks every CRC-32 and size, and refuses names that would land outside the target folder.
 */
import { chmod, mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { crc32, deflateRawSync, inflateRawSync } from 'node:zlib';

import { ZipError } from '../errors.ts';

export { ZipError };

export interface ZipInput {
  /** POSIX path inside the archive, no leading slash, no `..`. */
  readonly name: string;
  /** File contents, or the path of a file to read. */
  readonly data: Uint8Array | { readonly path: string };
  /** Unix permission bits. Default 0o644. */
  readonly mode?: number;
}

export interface ZipEntry {
  readonly name: string;
  readonly mode: number;
  readonly size: number;
  readonly compressedSize: number;
  readonly crc32: number;
  readonly method: 0 | 8;
  readonly offset: number;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_END = 0x06054b50;
const MAX_32 = 0xffffffff;
/** 1980-01-01 00:00:00 in MS-DOS date/time: the earliest ZIP time, for reproducible archives. */
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;

function checkName(name: string): void {
  const parts = name.split('/');
  if (
    name.length === 0 ||
    name.length > 0xffff ||
    name.startsWith('/') ||
    name.includes('\\') ||
    name.includes('\0') ||
    parts.some((p) => p === '..' || p === '.' || p === '')
  ) {
    throw new ZipError('ZIP_BAD_NAME', `zip entry name '${name}' is not a relative POSIX path inside the archive`);
  }
}

/** Writes a ZIP file; returns its entries and total size in bytes. */
export async function writeZip(
  path: string,
  inputs: readonly ZipInput[],
): Promise<{ entries: ZipEntry[]; sizeBytes: number }> {
  if (inputs.length >= 0xffff)
    throw new ZipError('ZIP_TOO_MANY', `${inputs.length} entries: at most 65,534 without ZIP64`);
  const seen = new Set<string>();
  const entries: ZipEntry[] = [];
  const handle = await open(path, 'w');
  let offset = 0;
  try {
    for (const input of inputs) {
      checkName(input.name);
      if (seen.has(input.name)) throw new ZipError('ZIP_DUPLICATE', `zip entry '${input.name}' given twice`);
      seen.add(input.name);
      const raw = input.data instanceof Uint8Array ? input.data : await readFile(input.data.path);
      // zlib's default level: on the Node runtime's binary, level 9 takes about three times as long
      // for an archive a fraction of a percent smaller.
      const deflated = deflateRawSync(raw, { level: 6 });
      const method: 0 | 8 = deflated.length < raw.length ? 8 : 0;
      const body = method === 8 ? deflated : raw;
      const crc = crc32(raw);
      if (raw.length > MAX_32 || offset + body.length > MAX_32)
        throw new ZipError('ZIP_TOO_LARGE', 'archive over 4 GiB needs ZIP64');
      const name = Buffer.from(input.name, 'utf8');
      const header = Buffer.alloc(30);
      header.writeUInt32LE(SIG_LOCAL, 0);
      header.writeUInt16LE(20, 4); // version needed
      header.writeUInt16LE(0x0800, 6); // UTF-8 names
      header.writeUInt16LE(method, 8);
      header.writeUInt16LE(DOS_TIME, 10);
      header.writeUInt16LE(DOS_DATE, 12);
      header.writeUInt32LE(crc, 14);
      header.writeUInt32LE(body.length, 18);
      header.writeUInt32LE(raw.length, 22);
      header.writeUInt16LE(name.length, 26);
      header.writeUInt16LE(0, 28);
      await handle.write(header);
      await handle.write(name);
      await handle.write(body);
      entries.push({
        name: input.name,
        mode: (input.mode ?? 0o644) & 0o7777,
        size: raw.length,
        compressedSize: body.length,
        crc32: crc,
        method,
        offset,
      });
      offset += header.length + name.length + body.length;
    }
    const cdStart = offset;
    for (const e of entries) {
      const name = Buffer.from(e.name, 'utf8');
      const c = Buffer.alloc(46);
      c.writeUInt32LE(SIG_CENTRAL, 0);
      c.writeUInt16LE((3 << 8) | 20, 4); // made by Unix, spec 2.0
      c.writeUInt16LE(20, 6);
      c.writeUInt16LE(0x0800, 8);
      c.writeUInt16LE(e.method, 10);
      c.writeUInt16LE(DOS_TIME, 12);
      c.writeUInt16LE(DOS_DATE, 14);
      c.writeUInt32LE(e.crc32, 16);
      c.writeUInt32LE(e.compressedSize, 20);
      c.writeUInt32LE(e.size, 24);
      c.writeUInt16LE(name.length, 28);
      c.writeUInt32LE(((0o100000 | e.mode) << 16) >>> 0, 38); // regular file + mode
      c.writeUInt32LE(e.offset, 42);
      await handle.write(c);
      await handle.write(name);
      offset += c.length + name.length;
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(SIG_END, 0);
    end.writeUInt16LE(entries.length, 8);
    end.writeUInt16LE(entries.length, 10);
    end.writeUInt32LE(offset - cdStart, 12);
    end.writeUInt32LE(cdStart, 16);
    await handle.write(end);
    offset += end.length;
  } finally {
    await handle.close();
  }
  return { entries, sizeBytes: offset };
}

/** Lists a ZIP archive's entries from its central directory. */
export function readZipEntries(zip: Uint8Array): ZipEntry[] {
  const buf = Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength);
  let endAt = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === SIG_END) {
      endAt = i;
      break;
    }
  }
  if (endAt < 0) throw new ZipError('ZIP_MALFORMED', 'not a ZIP archive: no end of central directory record');
  const count = buf.readUInt16LE(endAt + 10);
  const cdSize = buf.readUInt32LE(endAt + 12);
  let p = buf.readUInt32LE(endAt + 16);
  if (p + cdSize > endAt) throw new ZipError('ZIP_MALFORMED', 'central directory runs past its end record');
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (p + 46 > endAt || buf.readUInt32LE(p) !== SIG_CENTRAL)
      throw new ZipError('ZIP_MALFORMED', `central directory entry ${i} is damaged`);
    const method = buf.readUInt16LE(p + 10);
    if (method !== 0 && method !== 8)
      throw new ZipError(
        'ZIP_UNSUPPORTED',
        `zip entry ${i} uses compression method ${method}: only stored and deflate`,
      );
    if (buf.readUInt16LE(p + 8) & 0x1) throw new ZipError('ZIP_UNSUPPORTED', `zip entry ${i} is encrypted`);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    const madeByUnix = buf.readUInt16LE(p + 4) >> 8 === 3;
    const unixMode = madeByUnix ? (buf.readUInt32LE(p + 38) >>> 16) & 0o7777 : 0;
    entries.push({
      name,
      mode: unixMode || 0o644,
      method,
      crc32: buf.readUInt32LE(p + 16),
      compressedSize: buf.readUInt32LE(p + 20),
      size: buf.readUInt32LE(p + 24),
      offset: buf.readUInt32LE(p + 42),
    });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** The uncompressed bytes of one entry, CRC-32 and size checked. */
export function readZipEntry(zip: Uint8Array, entry: ZipEntry): Buffer {
  const buf = Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength);
  const p = entry.offset;
  if (p + 30 > buf.length || buf.readUInt32LE(p) !== SIG_LOCAL)
    throw new ZipError('ZIP_MALFORMED', `local header of '${entry.name}' is damaged`);
  const start = p + 30 + buf.readUInt16LE(p + 26) + buf.readUInt16LE(p + 28);
  if (start + entry.compressedSize > buf.length)
    throw new ZipError('ZIP_MALFORMED', `'${entry.name}' runs past the end of the archive`);
  const body = buf.subarray(start, start + entry.compressedSize);
  let data: Buffer;
  try {
    data = entry.method === 8 ? inflateRawSync(body, { maxOutputLength: Math.max(entry.size, 1) }) : Buffer.from(body);
  } catch (cause) {
    throw new ZipError('ZIP_CORRUPT', `'${entry.name}' does not inflate`, { cause });
  }
  if (data.length !== entry.size || crc32(data) !== entry.crc32) {
    throw new ZipError('ZIP_CORRUPT', `'${entry.name}' fails its CRC-32 or size check`);
  }
  return data;
}

/** Unpacks a ZIP file into `destDir` (created if missing), keeping Unix modes. Returns the entries. */
export async function unzipToDir(zipPath: string, destDir: string): Promise<ZipEntry[]> {
  const zip = await readFile(zipPath);
  const entries = readZipEntries(zip);
  const root = resolve(destDir);
  for (const e of entries) {
    if (e.name.endsWith('/')) continue; // directory entries from other tools
    checkName(e.name);
    const target = resolve(join(root, e.name));
    if (!target.startsWith(root + sep))
      throw new ZipError('ZIP_BAD_NAME', `zip entry '${e.name}' would land outside ${root}`);
    const data = readZipEntry(zip, e);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, data, { mode: e.mode });
    await chmod(target, e.mode);
  }
  return entries;
}
