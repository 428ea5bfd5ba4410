import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { configFromFlags } from '../../src/config/load-config.ts';
import { parseAgentConfig } from '../../src/config/schema.ts';

const key = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
const base = { cameraDir: 'camera', trustedKeys: [key] };
const problems = (upload: unknown) => {
  try {
    parseAgentConfig({ ...base, upload });
  } catch (err) {
    return (err as Error).message;
  }
  return 'valid';
};

describe('the upload section of the agent configuration', () => {
  it('is off by default, to S3 under inspections/, with bounded caps and queue', () => {
    const config = parseAgentConfig(base, { baseDir: '/srv/edge' });
    expect(config.upload).toMatchObject({
      enabled: false,
      target: 's3',
      prefix: 'inspections',
      okSampleRate: 0.02,
      caps: { perMinute: 60, perHour: 1000, perDay: 10_000 },
      queue: { maxItems: 2000, maxBytes: 512 * 1024 ** 2 },
      retry: { minMs: 1000, maxMs: 300_000 },
    });
    expect(Object.isFrozen(config.upload.caps)).toBe(true);
  });

  it('names the key and the value of every problem', () => {
    expect(problems({ enabled: true })).toContain(
      'upload.s3.bucket: expected a bucket name with target s3, got nothing (the key is missing)',
    );
    expect(problems({ enabled: true, target: 'folder' })).toContain('upload.folder.dir: expected a folder');
    expect(problems({ okSampleRate: 1.5 })).toContain('upload.okSampleRate: expected a number from 0 to 1, got 1.5');
    expect(problems({ target: 'ftp' })).toContain('upload.target: expected "s3" or "folder", got "ftp"');
    expect(problems({ s3: { bucket: 'Bad_Bucket' } })).toContain('upload.s3.bucket: expected an S3 bucket name');
    expect(problems({ caps: { perMinute: 0 } })).toContain(
      'upload.caps.perMinute: expected an integer from 1 to 1000000, got 0',
    );
    expect(problems({ prefix: '/inspections/' })).toContain('upload.prefix: expected a key prefix');
    expect(
      problems({ enabled: true, target: 'folder', folder: { dir: 'x' }, retry: { minMs: 500, maxMs: 100 } }),
    ).toContain('upload.retry.minMs: expected retry.minMs <= retry.maxMs');
    expect(problems({ bucket: 'b' })).toContain('upload.bucket: unknown key');
  });

  it('resolves the store and queue folders against the base folder, and takes flags', async () => {
    const raw = configFromFlags({
      'upload-enabled': true,
      'upload-target': 'folder',
      'upload-folder-dir': 'review-store',
      'upload-queue-dir': 'q',
      'upload-ok-sample-rate': '0.5',
    });
    const config = parseAgentConfig({ ...base, ...(await raw) }, { baseDir: '/srv/edge' });
    expect(config.upload).toMatchObject({
      enabled: true,
      target: 'folder',
      okSampleRate: 0.5,
      folder: { dir: '/srv/edge/review-store' },
      queue: { dir: '/srv/edge/q' },
    });
  });
});
