/**
 * Reads npm package tarballs (gzip + ustar, as `npm pack` writes them): regular files only, with
 * their modes, the leading `package/` folder removed. Names escaping the target are refused.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { PackagingError } from './packaging-error.ts';

function field(block: Buffer, start: number, len: number): string {
  const raw = block.subarray(start, start + len);
  const nul = raw.indexOf(0);
  return raw.toString('utf8', 0, nul < 0 ? len : nul);
}

export async function extractNpmTarball(tgz: Uint8Array, destDir: string): Promise<number> {
  const tar = gunzipSync(tgz);
  const root = resolve(destDir);
  let pos = 0;
  let files = 0;
  let longName: string | undefined;
  while (pos + 512 <= tar.length) {
    const header = tar.subarray(pos, pos + 512);
    if (header.every((b) => b === 0)) break;
    const size = Number.parseInt(field(header, 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(header[156] ?? 0);
    const prefix = field(header, 345, 155);
    let name = longName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
    longName = undefined;
    const body = tar.subarray(pos + 512, pos + 512 + size);
    pos += 512 + Math.ceil(size / 512) * 512;
    if (type === 'x') {
      const path = /\d+ path=([^\n]*)\n/.exec(body.toString('utf8'));
      if (path) longName = path[1];
      continue;
    }
    if (type === 'L') {
      longName = body.toString('utf8').replace(/\0.*$/s, '');
      continue;
    }
    if (type !== '0' && type !== '\0') continue;
    name = name.replace(/^[^/]+\//, ''); // npm tarballs put everything under package/
    const target = resolve(join(root, name));
    if (!target.startsWith(root + sep))
      throw new PackagingError('TARBALL_BAD_NAME', `tarball entry '${name}' would land outside ${root}`);
    const mode = Number.parseInt(field(header, 100, 8).trim() || '644', 8) & 0o777;
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, body);
    await chmod(target, mode | 0o600);
    files++;
  }
  return files;
}
