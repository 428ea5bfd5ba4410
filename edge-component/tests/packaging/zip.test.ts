import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readZipEntries, readZipEntry, unzipToDir, writeZip, ZipError } from '../../src/packaging/zip.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgeqc-zip-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('zip', () => {
  it('round-trips files, folders and Unix modes, and writes identical bytes for identical input', async () => {
    const src = join(dir, 'big.bin');
    const big = Buffer.alloc(300_000, 'abc');
    await writeFile(src, big);
    const random = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7919) % 251));
    const inputs = [
      { name: 'bin/run.sh', data: new TextEncoder().encode('#!/bin/sh\necho hi\n'), mode: 0o755 },
      { name: 'data/big.bin', data: { path: src } },
      { name: 'data/ü-random.bin', data: random },
    ];
    const a = await writeZip(join(dir, 'a.zip'), inputs);
    await writeZip(join(dir, 'b.zip'), inputs);
    expect(await readFile(join(dir, 'a.zip'))).toEqual(await readFile(join(dir, 'b.zip')));
    expect(a.sizeBytes).toBe((await stat(join(dir, 'a.zip'))).size);
    expect(a.sizeBytes).toBeLessThan(big.length / 10);

    const out = join(dir, 'out');
    await unzipToDir(join(dir, 'a.zip'), out);
    expect(await readFile(join(out, 'data/big.bin'))).toEqual(big);
    expect(await readFile(join(out, 'data/ü-random.bin'))).toEqual(random);
    expect((await stat(join(out, 'bin/run.sh'))).mode & 0o777).toBe(0o755);
    expect((await stat(join(out, 'data/big.bin'))).mode & 0o777).toBe(0o644);
  });

  it('writes archives that the Python zipfile module reads and tests', async () => {
    await writeZip(join(dir, 'a.zip'), [{ name: 'x/y.txt', data: new TextEncoder().encode('hello\n') }]);
    const out = execFileSync('python3', [
      '-c',
      'import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); print(z.testzip(), z.read("x/y.txt").decode())',
      join(dir, 'a.zip'),
    ]);
    expect(out.toString()).toBe('None hello\n\n');
  });

  it('refuses a damaged entry by its CRC-32', async () => {
    await writeZip(join(dir, 'a.zip'), [{ name: 'a.txt', data: Buffer.alloc(10, 1) }]);
    const zip = await readFile(join(dir, 'a.zip'));
    const [entry] = readZipEntries(zip);
    if (!entry) throw new Error('no entry');
    zip[37] = (zip[37] ?? 0) ^ 0xff; // a byte of the stored body (30-byte header, 5-byte name)
    expect(() => readZipEntry(zip, entry)).toThrow(ZipError);
  });

  it('refuses names that would escape the target folder, writing nothing', async () => {
    await expect(writeZip(join(dir, 'a.zip'), [{ name: '../evil', data: Buffer.alloc(1) }])).rejects.toThrow(
      /not a relative POSIX path/,
    );
    const py = "import sys,zipfile\nz=zipfile.ZipFile(sys.argv[1],'w')\nz.writestr('../evil.txt','x')\nz.close()";
    execFileSync('python3', ['-c', py, join(dir, 'evil.zip')]);
    await expect(unzipToDir(join(dir, 'evil.zip'), join(dir, 'out'))).rejects.toThrow(/not a relative POSIX path/);
    await expect(stat(join(dir, 'evil.txt'))).rejects.toThrow();
  });

  it('refuses a file that is not a ZIP archive', () => {
    expect(() => readZipEntries(Buffer.from('not a zip at all, really not'))).toThrow(/end of central directory/);
  });
});
