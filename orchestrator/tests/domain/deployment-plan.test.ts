import { describe, expect, it } from 'vitest';
import {
  deploymentClientToken,
  INFERENCE_COMPONENT,
  planDeployment,
  restorePlan,
} from '../../src/domain/deployment-plan.ts';
import { ErrorNames } from '../../src/errors.ts';

const target = 'arn:aws:iot:us-east-1:123456789012:thinggroup/canary';

describe('planDeployment', () => {
  it("keeps the group's other components and replaces the model version", () => {
    const req = planDeployment({
      targetArn: target,
      stage: 'canary',
      modelName: 'tag-scratch',
      modelVersion: '1.0.2',
      current: {
        'aws.greengrass.Nucleus': { componentVersion: '2.14.0' },
        'aws.greengrass.Cli': { componentVersion: '2.14.0' },
        'com.edgeqc.Model.tag-scratch': { componentVersion: '1.0.1' },
        [INFERENCE_COMPONENT]: { componentVersion: '0.3.0' },
      },
    });
    expect(req.components).toEqual({
      'aws.greengrass.Nucleus': { componentVersion: '2.14.0' },
      'aws.greengrass.Cli': { componentVersion: '2.14.0' },
      'com.edgeqc.Model.tag-scratch': { componentVersion: '1.0.2' },
      [INFERENCE_COMPONENT]: { componentVersion: '0.3.0' },
    });
    expect(req.policies).toEqual({
      failureHandlingPolicy: 'ROLLBACK',
      componentUpdatePolicy: { action: 'NOTIFY_COMPONENTS', timeoutInSeconds: 60 },
      configurationValidationPolicy: { timeoutInSeconds: 30 },
    });
    expect(req.jobConfiguration?.abort).toBeUndefined();
  });

  it('uses the configured inference version over the current one', () => {
    const req = planDeployment({
      targetArn: target,
      stage: 'canary',
      modelName: 'm',
      modelVersion: '1.0.0',
      current: { [INFERENCE_COMPONENT]: { componentVersion: '0.3.0' } },
      inferenceVersion: '0.4.0',
    });
    expect(req.components[INFERENCE_COMPONENT]).toEqual({ componentVersion: '0.4.0' });
  });

  it('fails by name when there is no inference component to deploy', () => {
    expect(() =>
      planDeployment({ targetArn: target, stage: 'canary', modelName: 'm', modelVersion: '1.0.0', current: {} }),
    ).toThrowError(expect.objectContaining({ name: ErrorNames.DeploymentRejected, code: 'NO_INFERENCE_COMPONENT' }));
  });

  it('gives the fleet an exponential rollout and abort criteria on the failure percentage', () => {
    const req = planDeployment({
      targetArn: target.replace('canary', 'fleet'),
      stage: 'fleet',
      modelName: 'm',
      modelVersion: '1.0.0',
      current: {},
      inferenceVersion: '0.4.0',
      options: { fleetAbortPercent: 25 },
    });
    expect(req.jobConfiguration?.rollout?.exponentialRate).toEqual({
      baseRatePerMinute: 2,
      incrementFactor: 2,
      rateIncreaseCriteria: { numberOfSucceededThings: 2 },
    });
    expect(req.jobConfiguration?.abort?.map((a) => [a.failureType, a.thresholdPercentage, a.action])).toEqual([
      ['FAILED', 25, 'CANCEL'],
      ['TIMED_OUT', 25, 'CANCEL'],
      ['REJECTED', 25, 'CANCEL'],
    ]);
  });

  it('refuses an abort percentage outside (0, 100]', () => {
    expect(() =>
      planDeployment({
        targetArn: target,
        stage: 'fleet',
        modelName: 'm',
        modelVersion: '1.0.0',
        current: {},
        inferenceVersion: '1.0.0',
        options: { fleetAbortPercent: 0 },
      }),
    ).toThrowError(expect.objectContaining({ name: ErrorNames.Config }));
  });
});

describe('client tokens and the restore plan', () => {
  it('derives one token per execution and purpose, in the form CreateDeployment accepts', () => {
    const a = deploymentClientToken('arn:exec:1', 'canary');
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(deploymentClientToken('arn:exec:1', 'canary')).toBe(a);
    expect(deploymentClientToken('arn:exec:1', 'fleet')).not.toBe(a);
    expect(deploymentClientToken('arn:exec:2', 'canary')).not.toBe(a);
    expect(deploymentClientToken('arn:exec:1', 'undo-canary')).not.toBe(a);
  });

  it('puts the previous deployment back whole: versions, configuration, runWith; no staged rollout', () => {
    const previous = {
      deploymentId: 'dep-old',
      components: {
        'com.edgeqc.Model.tag-scratch': { componentVersion: '1.0.1' },
        [INFERENCE_COMPONENT]: {
          componentVersion: '0.3.0',
          configurationUpdate: { merge: '{"a":1}', reset: ['/b'] },
          runWith: { posixUser: 'edgeqc', systemResourceLimits: { memory: 1024 } },
        },
      },
    };
    const req = restorePlan({ targetArn: target, stage: 'fleet', previous, clientToken: 't' });
    expect(req.components).toEqual(previous.components);
    expect(req.components).not.toBe(previous.components);
    expect(req).toMatchObject({ clientToken: 't', policies: { failureHandlingPolicy: 'ROLLBACK' } });
    expect(req.jobConfiguration?.rollout).toBeUndefined();
    expect(req.tags).toEqual({ 'edgeqc:stage': 'fleet', 'edgeqc:restores': 'dep-old' });
  });
});
