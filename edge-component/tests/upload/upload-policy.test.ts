import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { uploadKeys } from '../../src/upload/upload-keys.ts';
import { createCapWindows, isSelected, sampleFraction } from '../../src/upload/upload-policy.ts';

const id = (n: number) => createHash('sha256').update(`image-${n}`).digest('hex');
const ids = Array.from({ length: 20_000 }, (_, i) => id(i));

describe('upload policy: which inspections are uploaded', () => {
  it('uploads every unclear and every defect, whatever the ok sample rate', () => {
    for (const messageId of ids.slice(0, 200)) {
      expect(isSelected('unclear', messageId, 0)).toBe(true);
      expect(isSelected('defect', messageId, 0)).toBe(true);
    }
  });

  it('samples ok inspections at the configured rate, none at 0 and all at 1', () => {
    const share = (rate: number) => ids.filter((m) => isSelected('ok', m, rate)).length / ids.length;
    expect(share(0)).toBe(0);
    expect(share(1)).toBe(1);
    expect(share(0.05)).toBeGreaterThan(0.04);
    expect(share(0.05)).toBeLessThan(0.06);
    expect(share(0.5)).toBeGreaterThan(0.48);
    expect(share(0.5)).toBeLessThan(0.52);
  });

  it('decides the same for the same messageId every time (a retried inspection is chosen again, or never)', () => {
    for (const messageId of ids.slice(0, 500)) {
      const first = isSelected('ok', messageId, 0.1);
      for (let i = 0; i < 3; i++) expect(isSelected('ok', messageId, 0.1)).toBe(first);
    }
    // A higher rate keeps every id a lower rate chose (the sample grows, it is not redrawn).
    const low = ids.filter((m) => isSelected('ok', m, 0.02));
    expect(low.every((m) => isSelected('ok', m, 0.2))).toBe(true);
    expect(sampleFraction('0'.repeat(64))).toBe(0);
    expect(sampleFraction('f'.repeat(64))).toBeLessThan(1);
  });
});

describe('upload caps: per minute, hour and day over sliding windows', () => {
  const caps = { perMinute: 3, perHour: 5, perDay: 7 };
  const MIN = 60_000;
  const HOUR = 60 * MIN;

  it('refuses a fourth within a minute, and allows again once the first is a minute old', () => {
    const w = createCapWindows(caps);
    const t0 = 1_000_000_000;
    for (let i = 0; i < 3; i++) {
      expect(w.full(t0 + i * 1000)).toBeUndefined();
      w.record(t0 + i * 1000);
    }
    expect(w.full(t0 + 5000)).toBe('minute');
    expect(w.full(t0 + MIN - 1)).toBe('minute');
    expect(w.full(t0 + MIN)).toBeUndefined();
  });

  it('counts the hour and the day beyond the minute', () => {
    const w = createCapWindows(caps);
    const t0 = 2_000_000_000;
    for (let i = 0; i < 5; i++) w.record(t0 + i * 2 * MIN);
    expect(w.full(t0 + 11 * MIN)).toBe('hour');
    expect(w.counts(t0 + 11 * MIN)).toEqual({ minute: 0, hour: 5, day: 5 });
    for (let i = 0; i < 2; i++) w.record(t0 + 2 * HOUR + i * MIN);
    expect(w.full(t0 + 3 * HOUR)).toBe('day');
    expect(w.full(t0 + 24 * HOUR)).toBeUndefined(); // the first one is now more than a day old
  });

  it('starts from the history it is given (the queue and the ledger after a restart)', () => {
    const t0 = 3_000_000_000;
    const w = createCapWindows(caps, [t0 - 2000, t0 - 1000, t0 - 500, t0 - 25 * HOUR]);
    expect(w.full(t0)).toBe('minute');
    expect(w.counts(t0)).toEqual({ minute: 3, hour: 3, day: 3 });
  });
});

describe('upload keys: the inspection store layout', () => {
  const inspection = {
    thingName: 'line-1',
    messageId: id(1),
    verdict: 'unclear' as const,
    capturedAt: '2026-12-07T23:59:59.500Z',
  };

  it('puts the image and its message side by side under <prefix>/<thing>/<yyyy>/<mm>/<dd>/<verdict>/', () => {
    expect(uploadKeys('inspections', inspection, 'jpeg')).toEqual({
      image: `inspections/line-1/2026/12/07/unclear/${id(1)}.jpg`,
      message: `inspections/line-1/2026/12/07/unclear/${id(1)}.json`,
      imageContentType: 'image/jpeg',
    });
    expect(uploadKeys('a/b', { ...inspection, capturedAt: '2027-01-02T00:00:00+01:00' }, 'png').image).toBe(
      `a/b/line-1/2027/01/01/unclear/${id(1)}.png`,
    );
  });

  it('refuses a message whose thing name, messageId or capture time cannot make a key, naming the value', () => {
    expect(() => uploadKeys('inspections', { ...inspection, thingName: '../x' }, 'jpeg')).toThrow(
      /thingName "\.\.\/x"/,
    );
    expect(() => uploadKeys('inspections', { ...inspection, messageId: 'abc' }, 'jpeg')).toThrow(/messageId "abc"/);
    expect(() => uploadKeys('inspections', { ...inspection, capturedAt: 'yesterday' }, 'jpeg')).toThrow(
      /capturedAt "yesterday"/,
    );
  });
});
