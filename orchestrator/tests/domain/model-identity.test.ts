import { describe, expect, it } from 'vitest';
import { labelsOf, modelNameFromGroup, modelRefOf, newestApproved } from '../../src/domain/model-identity.ts';
import { ErrorNames } from '../../src/errors.ts';
import { modelPackage } from '../helpers/fixtures.ts';

describe('newestApproved', () => {
  it('picks the newest Approved package, not the oldest (the reference sample bug)', () => {
    const pkgs = [
      modelPackage({ version: 1 }),
      modelPackage({ version: 3, approvalStatus: 'Rejected' }),
      modelPackage({ version: 2 }),
    ];
    expect(newestApproved(pkgs)?.version).toBe(2);
  });

  it('returns undefined for an empty registry', () => {
    expect(newestApproved([])).toBeUndefined();
    expect(newestApproved([modelPackage({ approvalStatus: 'PendingManualApproval' })])).toBeUndefined();
  });

  it('breaks creation-time ties by version', () => {
    const at = new Date('2026-01-01T00:00:00Z');
    expect(
      newestApproved([modelPackage({ version: 4, createdAt: at }), modelPackage({ version: 5, createdAt: at })])
        ?.version,
    ).toBe(5);
  });
});

describe('modelRefOf', () => {
  it('derives name from the group and version from the package version by default', () => {
    const ref = modelRefOf(modelPackage({ version: 7, group: 'Tag_Scratch' }));
    expect(ref).toMatchObject({ name: 'tag-scratch', version: '1.0.7', packageVersion: 7 });
  });

  it('uses modelName / modelVersion metadata', () => {
    const ref = modelRefOf(modelPackage({ metadata: { modelName: 'tags', modelVersion: '2.1.0' } }));
    expect(ref).toMatchObject({ name: 'tags', version: '2.1.0' });
  });

  it('rejects a non-semver modelVersion, naming it', () => {
    expect(() => modelRefOf(modelPackage({ metadata: { modelVersion: 'v2' } }))).toThrowError(
      expect.objectContaining({ name: ErrorNames.ModelInvalid, message: expect.stringContaining("'v2'") }),
    );
  });

  it('rejects a ModelDataUrl that is not an s3:// .onnx', () => {
    expect(() => modelRefOf(modelPackage({ modelDataUrl: 's3://b/model.tar.gz' }))).toThrowError(
      expect.objectContaining({ name: ErrorNames.ModelInvalid, code: 'MODEL_DATA_URL' }),
    );
  });

  it('group names become model names', () => {
    expect(modelNameFromGroup('My Models!')).toBe('my-models-');
  });

  it('reads comma-separated labels', () => {
    expect(labelsOf({ metadata: { labels: 'scratch, dent' } })).toEqual(['scratch', 'dent']);
    expect(labelsOf({ metadata: {} })).toBeUndefined();
  });
});

import { earlierRunning } from '../../src/domain/rollout-lock.ts';

describe('earlierRunning', () => {
  it('lets exactly one of two simultaneous starts go first (ties by ARN)', () => {
    const at = new Date('2026-11-23T01:00:00Z');
    const a = { arn: 'arn:x:a', startedAt: at };
    const b = { arn: 'arn:x:b', startedAt: at };
    expect(earlierRunning(a, [a, b])).toEqual([]);
    expect(earlierRunning(b, [a, b])).toEqual([a]);
  });
});
