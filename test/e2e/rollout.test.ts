/**
 * The whole system on one machine, end to end: an embedded MQTT broker (Aedes), three simulated
 * Greengrass core devices (canary-1 in `canary`; line-1, line-2 in `fleet`) running the agent packaged by
 * package-agent (with the Node runtime component) over simulated Greengrass IPC, cameras dropping images,
 * and the state machine the CDK app synthesizes, run by aws-local-stepfunctions with every Task bound to
 * its create<Step>Handler over local adapters. Waits are shortened through the interpreter's overrides.
 * Story: model 1.0.0, then 2.0.0 (canary, then fleet, cameras running), then a tampered 3.0.0. The
 * cameras keep dropping until the story ends, however long the rollouts take on this machine.
 */
import { StepNames } from '@edgeqc/orchestrator/handlers';
import { runDemoRollout, type ScenarioReport, type ScenarioStep } from '@edgeqc/sim';
import { beforeAll, describe, expect, it } from 'vitest';

const THINGS = ['canary-1', 'line-1', 'line-2'] as const;

/** Index of a state's first entry in the path (-1 when it was never entered). */
const at = (s: ScenarioStep, state: string) => s.execution.path.indexOf(state);

describe('model rollout on one machine: CDK state machine -> simulated devices running the real agent', () => {
  let report: ScenarioReport;
  const story: string[] = [];

  beforeAll(async () => {
    report = await runDemoRollout({
      say: (line) => story.push(line),
      shotIntervalMs: 300,
      waitMs: 200,
      // Deadlines, not budgets: each wait ends as soon as its condition holds; these only bound a hang.
      settleTimeoutMs: 180_000,
    });
  }, 600_000);

  const step = (version: string): ScenarioStep => {
    const s = report.steps.find((x) => x.modelVersion === version);
    if (!s) throw new Error(`no step for ${version}; the story so far:\n${story.join('\n')}`);
    return s;
  };

  /** The Task states in the order first entered (Pass/Choice/Wait states and repeats left out). */
  const tasks = (s: ScenarioStep) => [...new Set(s.execution.path.filter((n) => n in StepNames))];
  const { ResolveModel, PackageModel, CreateComponentVersion, CheckDeployable, DeployCanary, VerifyCanary } = StepNames;
  const { DeployFleet, VerifyFleet, Notify, NotifyFailure } = StepNames;

  it('rolls model 1.0.0 out through every state, canary before fleet, to all three devices', () => {
    const s = step('1.0.0');
    expect(s.execution.status, story.join('\n')).toBe('SUCCEEDED');
    expect(tasks(s)).toEqual([
      ResolveModel,
      PackageModel,
      CreateComponentVersion,
      CheckDeployable,
      DeployCanary,
      VerifyCanary,
      DeployFleet,
      VerifyFleet,
      Notify,
    ]);
    // The fleet is deployed only after the canary's last (passing) verification.
    expect(at(s, DeployFleet)).toBeGreaterThan(s.execution.path.lastIndexOf(VerifyCanary));
    expect(s.execution.path.at(-2)).toBe(Notify);
    expect(s.execution.finalState).toBe(s.execution.path.at(-1));
    expect(s.installed).toEqual({ 'canary-1': '1.0.0', 'line-1': '1.0.0', 'line-2': '1.0.0' });
    expect(s.notifications.join('\n')).toMatch(/1\.0\.0/);
  });

  it('rolls model 2.0.0 out to the canary first, then the fleet', () => {
    const s = step('2.0.0');
    expect(s.execution.status, story.join('\n')).toBe('SUCCEEDED');
    expect(tasks(s)).toContain(VerifyFleet);
    expect(at(s, DeployFleet)).toBeGreaterThan(s.execution.path.lastIndexOf(VerifyCanary));
    expect(s.installed).toEqual({ 'canary-1': '2.0.0', 'line-1': '2.0.0', 'line-2': '2.0.0' });
    for (const t of THINGS)
      expect(s.lastDeployment[t]).toMatchObject({ status: 'SUCCEEDED', name: expect.stringContaining('2.0.0') });
  });

  it('stops the tampered 3.0.0 at the canary: the canary rolls back, the fleet is never touched, the notification names the reason', () => {
    const s = step('3.0.0');
    expect(s.execution.status, story.join('\n')).toBe('FAILED');
    expect(tasks(s)).toEqual([
      ResolveModel,
      PackageModel,
      CreateComponentVersion,
      CheckDeployable,
      DeployCanary,
      VerifyCanary,
      NotifyFailure,
    ]);
    expect(s.execution.path.indexOf(NotifyFailure)).toBeGreaterThan(s.execution.path.lastIndexOf(VerifyCanary));
    expect(s.execution.finalState).toBe(s.execution.path.at(-1));
    expect(s.execution.finalState).not.toBe(NotifyFailure);
    // The canary tried 3.0.0, failed and rolled back to 2.0.0; the fleet's last deployment is still 2.0.0's.
    expect(s.lastDeployment['canary-1']).toMatchObject({ status: 'FAILED', name: expect.stringContaining('3.0.0') });
    expect(s.lastDeployment['canary-1']?.reason).toMatch(/rolled back to the previous components/);
    expect(s.installed).toEqual({ 'canary-1': '2.0.0', 'line-1': '2.0.0', 'line-2': '2.0.0' });
    for (const t of ['line-1', 'line-2']) {
      expect(s.lastDeployment[t]).toMatchObject({ status: 'SUCCEEDED', name: expect.stringContaining('2.0.0') });
    }
    const failure = s.notifications.join('\n');
    expect(failure).toMatch(new RegExp(`FAILED at ${VerifyCanary}`));
    expect(failure).toMatch(/canary-1/);
    expect(failure).toMatch(/3\.0\.0/);
    expect(failure).toMatch(/rolled back/);
    // The agent's own refusal: the swapped model file does not match the signed manifest's hash.
    expect(failure).toMatch(/MODEL_HASH_MISMATCH/);
    const canary = report.devices.find((d) => d.thingName === 'canary-1');
    expect(canary?.servingVersion).toBe('2.0.0');
  });

  it('inspects every image each camera dropped exactly once, across both model swaps, with a unique messageId each', () => {
    for (const d of report.devices) {
      const fed = report.shotsPerDevice[d.thingName] ?? 0;
      expect(fed, d.thingName).toBeGreaterThan(0);
      expect(d.inspections, `${d.thingName}: fed ${fed}`).toBe(fed);
      expect(d.inspectedTwice, d.thingName).toEqual([]);
      expect(d.distinctMessageIds, d.thingName).toBe(d.inspections);
      expect(Object.keys(d.byModelVersion).sort(), d.thingName).toEqual(['1.0.0', '2.0.0']);
      expect(d.modelVersion, d.thingName).toBe('2.0.0');
    }
  });
});
