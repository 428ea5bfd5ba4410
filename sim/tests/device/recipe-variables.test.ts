import { describe, expect, it } from 'vitest';
import { applyConfigurationUpdate, effectiveConfiguration } from '../../src/device/configuration.ts';
import { resolveRecipeVariables, type VariableContext } from '../../src/device/recipe-variables.ts';
import { satisfies } from '../../src/device/version-requirement.ts';

const paths = (name: string, configuration: Record<string, unknown> = {}) => ({
  artifactsPath: `/gg/packages/artifacts/${name}/1.0.0`,
  decompressedPath: `/gg/packages/artifacts-unarchived/${name}/1.0.0`,
  workPath: `/gg/work/${name}`,
  configuration,
});

const ctx: VariableContext = {
  component: 'com.edgeqc.Inference',
  thingName: 'line-1',
  rootPath: '/gg',
  self: paths('com.edgeqc.Inference', { broker: { url: 'mqtt://localhost:1883' }, threads: 2 }),
  dependencies: { 'com.edgeqc.Model.tag-scratch': paths('com.edgeqc.Model.tag-scratch') },
};

describe('recipe variables', () => {
  it('resolves own, dependency, configuration and thing variables', () => {
    expect(
      resolveRecipeVariables(
        'node {artifacts:decompressedPath}/agent/main.ts --model {com.edgeqc.Model.tag-scratch:artifacts:path} --thing {iot:thingName} --threads {configuration:/threads} --broker {configuration:/broker}',
        ctx,
      ),
    ).toBe(
      'node /gg/packages/artifacts-unarchived/com.edgeqc.Inference/1.0.0/agent/main.ts --model /gg/packages/artifacts/com.edgeqc.Model.tag-scratch/1.0.0 --thing line-1 --threads 2 --broker {"url":"mqtt://localhost:1883"}',
    );
  });

  it('refuses a component that is not a direct dependency, naming it', () => {
    expect(() => resolveRecipeVariables('{com.other:artifacts:path}', ctx)).toThrow(
      /com\.other is not a direct dependency/,
    );
  });

  it('refuses an unset configuration key, naming the pointer', () => {
    expect(() => resolveRecipeVariables('{configuration:/missing}', ctx)).toThrow(/configuration \/missing is not set/);
  });
});

describe('configuration updates', () => {
  it('resets before merging, replaces arrays and keeps defaults underneath', () => {
    const explicit = applyConfigurationUpdate(
      'c',
      { a: { b: 1, c: [1, 2] }, d: 'x' },
      {
        reset: ['/d'],
        merge: JSON.stringify({ a: { c: [3] } }),
      },
    );
    expect(explicit).toEqual({ a: { b: 1, c: [3] } });
    expect(effectiveConfiguration({ d: 'default', a: { e: true } }, explicit)).toEqual({
      d: 'default',
      a: { b: 1, c: [3], e: true },
    });
  });

  it('names the component when merge is not a JSON object', () => {
    expect(() => applyConfigurationUpdate('com.x', {}, { merge: '[1]' })).toThrow(/com\.x configurationUpdate\.merge/);
  });
});

describe('version requirements', () => {
  it.each([
    ['1.2.3', '>=1.0.0 <2.0.0', true],
    ['2.0.0', '>=1.0.0 <2.0.0', false],
    ['1.4.0', '^1.2.0', true],
    ['0.3.0', '^0.2.0', false],
    ['1.2.9', '~1.2.0', true],
    ['1.3.0', '~1.2.0', false],
    ['5.0.0', '*', true],
    ['1.0.0', '1.0.0', true],
    ['3.0.0', '1.0.0 || >=3.0.0', true],
  ])('%s meets %s: %s', (v, r, ok) => {
    expect(satisfies(v, r)).toBe(ok);
  });
});
