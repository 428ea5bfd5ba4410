import { describe, expect, it } from 'vitest';
import { assessDevice, type DeviceAssessment, type Expected } from '../../src/domain/device-assessment.ts';
import { failureReport } from '../../src/domain/failure-report.ts';
import { assessStage } from '../../src/domain/stage-assessment.ts';
import { ErrorNames } from '../../src/errors.ts';
import { SHA_NEW, SHA_OLD, statusMessage } from '../helpers/fixtures.ts';

const expected: Expected = {
  deploymentId: 'dep-2',
  components: { 'com.edgeqc.Model.tag-scratch': '1.0.2', 'com.edgeqc.Inference': '0.3.0' },
  modelSha256: SHA_NEW,
};
const installed = [
  { componentName: 'com.edgeqc.Model.tag-scratch', componentVersion: '1.0.2', lifecycleState: 'FINISHED' },
  { componentName: 'com.edgeqc.Inference', componentVersion: '0.3.0', lifecycleState: 'RUNNING' },
];
const done = [{ deploymentId: 'dep-2', executionStatus: 'COMPLETED' }];

describe('assessDevice', () => {
  it('healthy: deployment completed, versions installed, status shows the new sha256 and a passing self-test', () => {
    const a = assessDevice(
      { thingName: 't1', effectiveDeployments: done, installedComponents: installed, status: statusMessage('t1') },
      expected,
    );
    expect(a.verdict).toBe('healthy');
  });

  it('pending while the deployment has not reached the device or is in progress', () => {
    expect(
      assessDevice({ thingName: 't1', effectiveDeployments: [], installedComponents: [], status: undefined }, expected)
        .verdict,
    ).toBe('pending');
    expect(
      assessDevice(
        {
          thingName: 't1',
          effectiveDeployments: [{ deploymentId: 'dep-2', executionStatus: 'IN_PROGRESS' }],
          installedComponents: [],
          status: undefined,
        },
        expected,
      ).verdict,
    ).toBe('pending');
  });

  it('failed when the deployment failed, with the reason', () => {
    const a = assessDevice(
      {
        thingName: 't1',
        effectiveDeployments: [
          {
            deploymentId: 'dep-2',
            executionStatus: 'FAILED',
            reason: 'component com.edgeqc.Inference broken',
            detailedStatus: 'DEPLOYMENT_FAILURE > COMPONENT_BROKEN',
          },
        ],
        installedComponents: installed,
        status: undefined,
      },
      expected,
    );
    expect(a).toMatchObject({ verdict: 'failed', reason: expect.stringContaining('COMPONENT_BROKEN') });
  });

  it('failed when the device rolled back to the old version although the deployment says completed', () => {
    const rolledBack = installed.map((c) =>
      c.componentName.startsWith('com.edgeqc.Model') ? { ...c, componentVersion: '1.0.1' } : c,
    );
    const a = assessDevice(
      {
        thingName: 't1',
        effectiveDeployments: done,
        installedComponents: rolledBack,
        status: statusMessage('t1', { sha256: SHA_OLD }),
      },
      expected,
    );
    expect(a).toMatchObject({ verdict: 'failed', reason: expect.stringContaining('rolled back') });
  });

  it('failed on a failing self-test of the new model', () => {
    const a = assessDevice(
      {
        thingName: 't1',
        effectiveDeployments: done,
        installedComponents: installed,
        status: statusMessage('t1', { selfTestPassed: false }),
      },
      expected,
    );
    expect(a).toMatchObject({
      verdict: 'failed',
      reason: expect.stringContaining('self-test of the new model failed'),
    });
  });

  it('failed on a BROKEN component', () => {
    const broken = installed.map((c) => ({ ...c, lifecycleState: 'BROKEN' }));
    expect(
      assessDevice(
        { thingName: 't1', effectiveDeployments: done, installedComponents: broken, status: undefined },
        expected,
      ).verdict,
    ).toBe('failed');
  });

  it('pending while the agent still reports the old model', () => {
    const a = assessDevice(
      {
        thingName: 't1',
        effectiveDeployments: done,
        installedComponents: installed,
        status: statusMessage('t1', { sha256: SHA_OLD }),
      },
      expected,
    );
    expect(a).toMatchObject({ verdict: 'pending', reason: expect.stringContaining(SHA_OLD) });
  });

  it('failed when the retained message is not a status message', () => {
    const a = assessDevice(
      { thingName: 't1', effectiveDeployments: done, installedComponents: installed, status: 'hello' },
      expected,
    );
    expect(a).toMatchObject({ verdict: 'failed', reason: expect.stringContaining('edgeqc.status.v1') });
  });
});

const dev = (thingName: string, verdict: DeviceAssessment['verdict']): DeviceAssessment => ({
  thingName,
  verdict,
  reason: `${verdict} reason`,
});
const now = new Date('2026-11-23T01:00:00Z');
const later = new Date('2026-11-23T02:00:00Z');

describe('assessStage', () => {
  it('canary: any failed device fails the stage by name, listing it', () => {
    const d = assessStage([dev('a', 'healthy'), dev('b', 'failed')], { stage: 'canary', now, deadline: later });
    expect(d).toMatchObject({
      outcome: 'failed',
      errorName: ErrorNames.CanaryUnhealthy,
      summary: expect.stringContaining('b: failed reason'),
    });
  });

  it('canary: empty group fails (nothing proves the model)', () => {
    expect(assessStage([], { stage: 'canary', now, deadline: later })).toMatchObject({
      outcome: 'failed',
      errorName: ErrorNames.CanaryEmpty,
    });
  });

  it('canary: waits until the deadline, then times out', () => {
    const devices = [dev('a', 'healthy'), dev('b', 'pending')];
    expect(assessStage(devices, { stage: 'canary', now, deadline: later }).outcome).toBe('waiting');
    expect(assessStage(devices, { stage: 'canary', now: later, deadline: now })).toMatchObject({
      errorName: ErrorNames.CanaryTimeout,
    });
  });

  it('canary: all healthy is done', () => {
    expect(assessStage([dev('a', 'healthy')], { stage: 'canary', now, deadline: later }).outcome).toBe('done');
  });

  it('fleet: failures at the abort threshold fail the stage', () => {
    const devices = [dev('a', 'failed'), ...Array.from({ length: 9 }, (_, i) => dev(`h${i}`, 'healthy'))];
    expect(assessStage(devices, { stage: 'fleet', now, deadline: later, abortPercent: 10 })).toMatchObject({
      errorName: ErrorNames.FleetUnhealthy,
    });
    expect(assessStage(devices, { stage: 'fleet', now, deadline: later, abortPercent: 20 })).toMatchObject({
      outcome: 'done',
      failed: 1,
    });
  });

  it('fleet: an aborted (CANCELED) deployment fails the stage', () => {
    expect(
      assessStage([dev('a', 'pending')], { stage: 'fleet', now, deadline: later, deploymentStatus: 'CANCELED' }),
    ).toMatchObject({
      errorName: ErrorNames.FleetUnhealthy,
    });
  });

  it('fleet: times out with pending devices after the deadline', () => {
    expect(assessStage([dev('a', 'pending')], { stage: 'fleet', now: later, deadline: now })).toMatchObject({
      errorName: ErrorNames.FleetTimeout,
    });
  });
});

describe('failureReport', () => {
  it('reads the step from our message prefix in a Lambda Cause', () => {
    const cause = JSON.stringify({
      errorType: ErrorNames.ComponentFailed,
      errorMessage: '[CheckDeployable] component x is FAILED: bad artifact',
    });
    expect(failureReport({ failure: { Error: ErrorNames.ComponentFailed, Cause: cause } })).toEqual({
      step: 'CheckDeployable',
      error: ErrorNames.ComponentFailed,
      reason: 'component x is FAILED: bad artifact',
    });
  });

  it('prefers the failedStep the state machine sets, and keeps plain causes', () => {
    expect(
      failureReport({ failedStep: 'VerifyFleet', failure: { Error: 'States.Timeout', Cause: 'task timed out' } }),
    ).toEqual({
      step: 'VerifyFleet',
      error: 'States.Timeout',
      reason: 'task timed out',
    });
  });
});
