/**
 * The whole system on one machine, end to end: an embedded MQTT broker (Aedes), three simulated
 * Greengrass core devices (canary-1 in `canary`; line-1, line-2 in `fleet`) running the agent packaged by
 * package-agent (with the Node runtime component) over simulated Greengrass IPC, cameras dropping images,
 * and the state machine the CDK app synthesizes, run by aws-local-stepfunctions with every Task bound to
 * its create<Step>Handler over local adapters. Waits are shortened through the interpreter's overrides.
 * Story: model 1.0.0, then 2.0.0 (canary, then fleet, cameras running), then 2.1.0, validly signed and
 * passing its self-tests but calling most tags defects, which the canary's quality gate refuses on the
 * devices' edgeqc.metrics.v1 figures (the fleet untouched), then a tampered 3.0.0, then
 * 3.1.0, which passes the canary and its bake and is refused by one fleet device (a device-side fault
 * injected in the local world): both deployments are canceled and each group's previous deployment
 * redeployed, and every device ends on 2.0.0 again (the agent's anti-rollback lets back exactly the
 * model it served before its last raise). The cameras keep dropping until the story ends, however long
 * the rollouts take on this machine.
 */
import { StepNames } from '@edgeqc/orchestrator/handlers';
import { MISBEHAVING_VERSION, runDemoRollout, type ScenarioReport, type ScenarioStep } from '@edgeqc/sim';
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
      shotIntervalMs: 400,
      waitMs: 200,
      // Deadlines, not budgets: each wait ends as soon as its condition holds; these only bound a hang.
      settleTimeoutMs: 600_000,
    });
  }, 1_800_000);

  const step = (version: string): ScenarioStep => {
    const s = report.steps.find((x) => x.modelVersion === version);
    if (!s) throw new Error(`no step for ${version}; the story so far:\n${story.join('\n')}`);
    return s;
  };

  /** The Task states in the order first entered (Pass/Choice/Wait states and repeats left out). */
  const tasks = (s: ScenarioStep) => [...new Set(s.execution.path.filter((n) => n in StepNames))];
  const { ResolveModel, PackageModel, CreateComponentVersion, CheckDeployable, DeployCanary, VerifyCanary } = StepNames;
  const { DeployFleet, VerifyFleet, Notify, NotifyFailure, UndoRollout } = StepNames;

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

  it("passes each good release through the canary's quality gate, with its figures in the success notification", () => {
    const first = step('1.0.0').notifications.join('\n');
    expect(first).toMatch(
      /Canary quality gate passed: .* under 1\.0\.0 on canary-1 .*no baseline: rates and drift not compared/,
    );
    const second = step('2.0.0').notifications.join('\n');
    expect(second).toMatch(
      /Canary quality gate passed: unclear rate \d\.\d{3} -> \d\.\d{3} .*defect rate \d\.\d{3} -> \d\.\d{3} .*best-score PSI \d+\.\d{3} .*under 2\.0\.0 on canary-1/,
    );
    expect(second).toMatch(/baseline \d+ image\(s\) under 1\.0\.0 on canary-1 \(the canary's own before the swap\)/);
  });

  it(`refuses ${MISBEHAVING_VERSION}, signed and passing its self-tests, at the canary's quality gate with the figures; the fleet is untouched`, () => {
    const s = step(MISBEHAVING_VERSION);
    expect(s.execution.status, story.join('\n')).toBe('FAILED');
    expect(tasks(s)).toEqual([
      ResolveModel,
      PackageModel,
      CreateComponentVersion,
      CheckDeployable,
      DeployCanary,
      VerifyCanary,
      UndoRollout,
      NotifyFailure,
    ]);
    // The canary took the release (valid signature, self-tests passed): only its behaviour refused it.
    const taken = s.deployments['canary-1']?.find((d) => d.name.includes(MISBEHAVING_VERSION));
    expect(taken).toMatchObject({ status: 'SUCCEEDED' });
    const failure = s.notifications.join('\n');
    expect(failure).toMatch(new RegExp(`FAILED at ${VerifyCanary}`));
    expect(failure).toMatch(/Error: QualityGateFailedError/);
    expect(failure).toMatch(
      /Reason: quality gate FAILED on defect rate.*defect rate (\d\.\d{3}) -> (\d\.\d{3}) \(\+\d\.\d{3}, limit \+0\.150\) FAILED/,
    );
    const [, before, after] = /defect rate (\d\.\d{3}) -> (\d\.\d{3})/.exec(failure) ?? [];
    expect(Number(after) - Number(before)).toBeGreaterThan(0.15);
    expect(failure).toMatch(/\d+ image\(s\) under 2\.1\.0 on canary-1 \(at least 20 needed\)/);
    expect(failure).toMatch(/baseline \d+ image\(s\) under 2\.0\.0 on canary-1/);
    expect(failure).toMatch(/0 metrics message\(s\) rejected by the schema/);
    expect(failure).toMatch(/The fleet was not touched/);
    expect(failure).toMatch(/Undone: canary deployment .* canceled, the previous deployment .* redeployed/);
    // The fleet never saw the release: its devices still serve 2.0.0 from 2.0.0's deployment.
    for (const t of ['line-1', 'line-2']) {
      expect(s.installed[t], t).toBe('2.0.0');
      expect(
        s.deployments[t]?.some((d) => d.name.includes(MISBEHAVING_VERSION)),
        t,
      ).toBe(false);
    }
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
      UndoRollout,
      NotifyFailure,
    ]);
    expect(s.execution.path.indexOf(NotifyFailure)).toBeGreaterThan(s.execution.path.lastIndexOf(VerifyCanary));
    expect(s.execution.finalState).toBe(s.execution.path.at(-1));
    expect(s.execution.finalState).not.toBe(NotifyFailure);
    // The canary tried 3.0.0, failed and rolled back to 2.0.0; the fleet's last deployment is still 2.0.0's.
    const tried = s.deployments['canary-1']?.find((d) => d.name.includes('3.0.0'));
    expect(tried).toMatchObject({ status: 'FAILED' });
    expect(tried?.reason).toMatch(/rolled back to the previous components/);
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
    // The canary's deployment was canceled and the canary group's previous deployment redeployed.
    expect(failure).toMatch(/Undone: canary deployment .* canceled, the previous deployment .* redeployed/);
    expect(failure).toMatch(/The fleet was not touched/);
  });

  it('undoes 3.1.0, which passed the canary and its bake and which one fleet device refused: both groups get their previous deployment again', () => {
    const s = step('3.1.0');
    expect(s.execution.status, story.join('\n')).toBe('FAILED');
    expect(tasks(s)).toEqual([
      ResolveModel,
      PackageModel,
      CreateComponentVersion,
      CheckDeployable,
      DeployCanary,
      VerifyCanary,
      DeployFleet,
      VerifyFleet,
      UndoRollout,
      NotifyFailure,
    ]);
    // The canary passed (its bake included: VerifyCanary ran more than once) before the fleet was deployed.
    expect(s.execution.path.filter((n) => n === VerifyCanary).length).toBeGreaterThan(1);
    expect(at(s, DeployFleet)).toBeGreaterThan(s.execution.path.lastIndexOf(VerifyCanary));
    const refused = s.deployments['line-2']?.find((d) => d.name.includes('3.1.0'));
    expect(refused).toMatchObject({ status: 'FAILED' });
    expect(refused?.reason).toMatch(/injected fault/);
    const failure = s.notifications.join('\n');
    expect(failure).toMatch(new RegExp(`FAILED at ${VerifyFleet}`));
    expect(failure).toMatch(/line-2/);
    expect(failure).toMatch(/Undone: fleet deployment .* canceled, the previous deployment .* redeployed/);
    expect(failure).toMatch(/Undone: canary deployment .* canceled, the previous deployment .* redeployed/);
    // Every device received its group's previous deployment again and is back on 2.0.0, also those
    // whose agent had accepted 3.1.0.
    expect(report.afterUndo.map((d) => d.thingName).sort()).toEqual([...THINGS].sort());
    for (const d of report.afterUndo) {
      expect(d.modelVersion, d.thingName).toBe('2.0.0');
      expect(d.restore.status, `${d.thingName}: ${d.restore.reason ?? ''}`).toBe('SUCCEEDED');
    }
  });

  it('inspects every image each camera dropped exactly once, across every model swap, with a unique messageId each', () => {
    for (const d of report.devices) {
      const fed = report.shotsPerDevice[d.thingName] ?? 0;
      expect(fed, d.thingName).toBeGreaterThan(0);
      expect(d.inspections, `${d.thingName}: fed ${fed}`).toBe(fed);
      expect(d.inspectedTwice, d.thingName).toEqual([]);
      expect(d.distinctMessageIds, d.thingName).toBe(d.inspections);
      // 3.1.0 served on the canary (and on line-1 until the undo) before everything went back to 2.0.0.
      expect(Object.keys(d.byModelVersion), d.thingName).toEqual(expect.arrayContaining(['1.0.0', '2.0.0']));
      // The misbehaving release served on the canary only, until the gate refused it.
      const served =
        d.thingName === 'canary-1' ? ['1.0.0', '2.0.0', MISBEHAVING_VERSION, '3.1.0'] : ['1.0.0', '2.0.0', '3.1.0'];
      for (const v of Object.keys(d.byModelVersion)) expect(served, d.thingName).toContain(v);
    }
  });
});
