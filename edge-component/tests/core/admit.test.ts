import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { admitBytes, sniffImageFormat } from '../../src/core/admit.ts';

const JPEG = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]);

describe('admitBytes', () => {
  it('admits a JPEG and a PNG by their magic bytes, with the sha256 of the bytes and the file name', () => {
    const a = admitBytes('/cam/ä b.jpg', JPEG, 1234, 100);
    expect(a).toMatchObject({ path: '/cam/ä b.jpg', file: 'ä b.jpg', format: 'jpeg', sizeBytes: 7, mtimeMs: 1234 });
    expect(a.sha256).toBe(createHash('sha256').update(JPEG).digest('hex'));
    expect(admitBytes('/cam/x.jpg', PNG, 0, 100).format).toBe('png');
  });
  it('refuses an empty file, a file over the limit and unknown magic bytes, naming the file', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return [(err as { code: string }).code, (err as Error).message];
      }
      return undefined;
    };
    expect(code(() => admitBytes('/cam/e.jpg', new Uint8Array(0), 0, 100))).toEqual([
      'IMAGE_EMPTY',
      '/cam/e.jpg is empty (0 bytes)',
    ]);
    expect(code(() => admitBytes('/cam/big.jpg', JPEG, 0, 6))?.[0]).toBe('IMAGE_TOO_LARGE');
    expect(code(() => admitBytes('/cam/t.jpg', new TextEncoder().encode('hello'), 0, 100))).toEqual([
      'IMAGE_UNSUPPORTED_FORMAT',
      '/cam/t.jpg is neither JPEG nor PNG (magic bytes)',
    ]);
  });
  it('does not take a short prefix of the PNG signature for a PNG', () => {
    expect(sniffImageFormat(PNG.slice(0, 4))).toBeUndefined();
  });
});
