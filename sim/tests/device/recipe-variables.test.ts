import { loadRecipeTemplate, renderTemplate } from '@edgeqc/model-component/recipe';
import { describe, expect, it } from 'vitest';
import { planComponents } from '../../src/device/component-plan.ts';
import { applyConfigurationUpdate, effectiveConfiguration } from '../../src/device/configuration.ts';
import { deviceLayout } from '../../src/device/device-layout.ts';
import { parseDeviceRecipe } from '../../src/device/device-recipe.ts';
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

describe("the model component's configuration in the inference recipe (model expectations)", () => {
  const MODEL = 'com.edgeqc.Model.tag-scratch';
  const SHA = 'c'.repeat(64);
  const arch = process.arch === 'arm64' ? 'aarch64' : 'amd64';

  /** The real templates (recipes/), rendered as package-model and package-agent render them. */
  async function recipes(modelVersion: string) {
    const model = renderTemplate(await loadRecipeTemplate('model-component'), {
      componentName: MODEL,
      componentVersion: modelVersion,
      modelName: 'tag-scratch',
      modelSha256: SHA,
      precision: 'int8',
      artifacts: [],
    });
    const inference = renderTemplate(await loadRecipeTemplate('inference-component'), {
      componentVersion: '1.0.0',
      defaultConfiguration: { cameraDir: '/var/lib/edgeqc/camera' },
      modelComponent: MODEL,
      modelVersionRequirement: '>=1.0.0',
      runtimeVersionRequirement: '=24.21.0',
      architecture: arch,
      runtimeArchiveFolder: 'node-linux-x64',
      archiveFolder: 'edgeqc-agent-linux-x64',
      artifacts: [],
    });
    const runtime = {
      RecipeFormatVersion: '2020-01-25',
      ComponentName: 'com.edgeqc.NodeRuntime',
      ComponentVersion: '24.21.0',
      Manifests: [{ Platform: { os: 'linux' } }],
    };
    return [model, runtime, inference].map((r, i) => parseDeviceRecipe(r, `recipe ${i}`));
  }

  async function plan(modelVersion: string, modelUpdate?: { merge: string }) {
    const [model, runtime, inference] = await recipes(modelVersion);
    const inputs = new Map(
      [model, runtime, inference].map((recipe) => [
        recipe!.name,
        {
          recipe: recipe!,
          previousExplicit: undefined,
          update: recipe === model ? modelUpdate : undefined,
          isRoot: true,
        },
      ]),
    );
    const order = [MODEL, 'com.edgeqc.NodeRuntime', 'com.edgeqc.Inference'];
    return planComponents(inputs, order, deviceLayout('/gg'), 'line-1').get('com.edgeqc.Inference');
  }

  it("puts the model component's name, version and sha256 into the agent's environment, as the nucleus resolves them", async () => {
    const inference = await plan('2.1.0');
    expect(inference?.run?.env).toMatchObject({
      EDGEQC_MODEL_DIR: `/gg/packages/artifacts/${MODEL}/2.1.0`,
      EDGEQC_MODEL_EXPECT_NAME: 'tag-scratch',
      EDGEQC_MODEL_EXPECT_VERSION: '2.1.0',
      EDGEQC_MODEL_EXPECT_SHA256: SHA,
    });
  });

  it('a new model version changes the resolved lifecycle, so the agent restarts with the new expectation', async () => {
    const before = await plan('2.1.0');
    const after = await plan('2.2.0');
    expect(after?.run?.env.EDGEQC_MODEL_EXPECT_VERSION).toBe('2.2.0');
    expect(after?.fingerprint).not.toBe(before?.fingerprint);
  });

  it("follows a deployment's merge into the model component's configuration, like the nucleus", async () => {
    const inference = await plan('2.1.0', { merge: JSON.stringify({ modelVersion: '9.9.9' }) });
    expect(inference?.run?.env.EDGEQC_MODEL_EXPECT_VERSION).toBe('9.9.9');
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
