/**
 * VerifyCanary with the quality gate, over in-memory fakes: the canary group went from 1.0.1 (dep-0) to
 * 1.0.2 (dep-1); canary-1 is healthy on 1.0.2; its metrics come from a fake BehaviourSource.
 */
import { describe, expect, it } from 'vitest';
import { qualityGateConfig } from '../../src/domain/quality-gate-config.ts';
import type { RolloutState } from '../../src/domain/rollout-state.ts';
import { ErrorNames } from '../../src/errors.ts';
import { configFromEnv, qualityGateSettings } from '../../src/handlers/config.ts';
import {
  createNotifyFailureHandler,
  createNotifyHandler,
  createVerifyCanaryHandler,
} from '../../src/handlers/index.ts';
import { FakeFleet } from '../helpers/fakes.ts';
import { SHA_NEW, statusMessage } from '../helpers/fixtures.ts';
import { FakeBehaviour, type MetricsFixture, metricsMessage, SHA } from '../helpers/metrics.ts';

const MODEL = 'com.edgeqc.Model.tag-scratch';
const INFERENCE = 'com.edgeqc.Inference';
const T0 = '2026-11-23T01:00:00.000Z';
const at = (seconds: number) => new Date(Date.parse(T0) + seconds * 1000);
const gateConfig = qualityGateConfig({ minImages: 100, minBakeSeconds: 60, maxDefectRateIncrease: 0.1 });

async function world() {
  const fleet = new FakeFleet();
  const canaryArn = await fleet.thingGroupArn('canary');
  const policies = {
    failureHandlingPolicy: 'ROLLBACK' as const,
    componentUpdatePolicy: { action: 'NOTIFY_COMPONENTS' as const, timeoutInSeconds: 60 },
    configurationValidationPolicy: { timeoutInSeconds: 30 },
  };
  for (const version of ['1.0.1', '1.0.2']) {
    await fleet.createDeployment({
      targetArn: canaryArn,
      deploymentName: `edgeqc-canary-tag-scratch-${version}`,
      components: { [MODEL]: { componentVersion: version }, [INFERENCE]: { componentVersion: '0.1.0' } },
      policies,
    });
  }
  fleet.groups.set('canary', ['canary-1']);
  fleet.groups.set('fleet', ['line-1', 'line-2']);
  fleet.devices.set('canary-1', {
    effective: [{ deploymentId: 'dep-1', executionStatus: 'COMPLETED' }],
    installed: [
      { componentName: MODEL, componentVersion: '1.0.2', lifecycleState: 'FINISHED' },
      { componentName: INFERENCE, componentVersion: '0.1.0', lifecycleState: 'RUNNING' },
    ],
    status: statusMessage('canary-1'),
  });
  const behaviour = new FakeBehaviour();
  // Before the swap, canary-1 served 1.0.1: 60 % ok, 30 % defect, 10 % unclear over 400 images.
  behaviour.messages.push(
    metricsMessage('canary-1', '1.0.1', { ok: 240, defect: 120, unclear: 40, sha256: SHA.old, publishedAt: T0 }),
  );
  const state: RolloutState = {
    found: true,
    model: {
      arn: 'arn:m/2',
      group: 'tag-scratch',
      packageVersion: 2,
      name: 'tag-scratch',
      version: '1.0.2',
      dataUrl: 's3://b/m.onnx',
    },
    component: { name: MODEL, version: '1.0.2', recipeUri: 's3://b/r.json', modelSha256: SHA_NEW },
    inferenceComponentVersion: '0.1.0',
    canary: {
      group: 'canary',
      targetArn: canaryArn,
      deploymentId: 'dep-1',
      previousDeploymentId: 'dep-0',
      startedAt: '2026-11-23T00:59:00.000Z',
      done: false,
      checks: 0,
    },
  };
  const verifyAt = (seconds: number, timeoutSeconds = 900) =>
    createVerifyCanaryHandler({
      deployments: fleet,
      health: fleet,
      timeoutSeconds,
      bakeSeconds: 60,
      gate: { behaviour, config: gateConfig, fleetGroup: 'fleet' },
      now: () => at(seconds),
    });
  /** The heartbeat moves on at `seconds`, and canary-1 reports `f` under 1.0.2 then. */
  const report = (seconds: number, f: MetricsFixture) => {
    fleet.devices.get('canary-1')!.status = { ...(statusMessage('canary-1') as object), at: at(seconds).toISOString() };
    behaviour.messages.push(metricsMessage('canary-1', '1.0.2', { ...f, publishedAt: at(seconds).toISOString() }));
  };
  return { fleet, behaviour, state, verifyAt, report };
}

describe('VerifyCanary quality gate', () => {
  it('bakes, then passes a canary that behaves like before, figures in the state and the success notification', async () => {
    const w = await world();
    const s1 = await w.verifyAt(0)(w.state);
    expect(s1.canary).toMatchObject({ done: false, bake: { since: T0, baselineVersion: '1.0.1' } });
    w.report(30, { ok: 30, defect: 15, unclear: 5 });
    expect((await w.verifyAt(30)(s1)).canary?.done).toBe(false);
    w.report(61, { ok: 62, defect: 29, unclear: 9 });
    const done = await w.verifyAt(62)(s1);
    expect(done.canary?.done).toBe(true);
    expect(done.qualityGate).toMatchObject({
      outcome: 'passed',
      figures: { images: 100, defectRate: 0.29, baseline: { source: 'canary', version: '1.0.1', images: 400 } },
    });
    expect(w.behaviour.queries.at(-1)).toEqual({ thingNames: ['canary-1'], modelVersions: ['1.0.2', '1.0.1'] });

    const notes: { subject: string; message: string; attributes?: Record<string, string> }[] = [];
    await createNotifyHandler({
      notifier: { publish: async (subject, message, attributes) => void notes.push({ subject, message, attributes }) },
    })(done);
    expect(notes[0]?.message).toMatch(/Canary quality gate passed: unclear rate 0\.100 -> 0\.090/);
    expect(notes[0]?.attributes).toMatchObject({ qualityGate: 'passed' });
  });

  it('waits for metrics published after the bake, and for enough images, before it judges', async () => {
    const w = await world();
    const s1 = await w.verifyAt(0)(w.state);
    w.report(61, { ok: 30, defect: 15, unclear: 5 });
    const waiting = await w.verifyAt(62)(s1);
    expect(waiting.canary).toMatchObject({
      done: false,
      summary: expect.stringContaining('quality gate: 50 of at least 100 image(s) under 1.0.2'),
    });
    expect(waiting.qualityGate).toBeUndefined();
  });

  it('fails with "not enough evidence" when the canary timeout comes first, never passes', async () => {
    const w = await world();
    const s1 = await w.verifyAt(0)(w.state);
    w.report(61, { ok: 30, defect: 15, unclear: 5 });
    await expect(w.verifyAt(1000)(s1)).rejects.toMatchObject({
      name: ErrorNames.QualityGateFailed,
      code: 'NOT_ENOUGH_EVIDENCE',
      message: expect.stringMatching(
        /^\[VerifyCanary\] quality gate FAILED on not enough evidence: .*50 image\(s\) under 1\.0\.2/,
      ),
    });
  });

  it('fails a canary whose defect rate rose, and the failure notification carries the figures', async () => {
    const w = await world();
    const s1 = await w.verifyAt(0)(w.state);
    w.report(61, { ok: 10, defect: 85, unclear: 5 });
    const err = await w
      .verifyAt(62)(s1)
      .catch((e: Error & { code?: string }) => e);
    expect(err).toMatchObject({ name: ErrorNames.QualityGateFailed, code: 'QUALITY_FAILED' });

    const notes: { subject: string; message: string }[] = [];
    await createNotifyFailureHandler({
      notifier: { publish: async (subject, message) => void notes.push({ subject, message }) },
    })({
      ...s1,
      failedStep: 'VerifyCanary',
      failure: { Error: err.name, Cause: JSON.stringify({ errorType: err.name, errorMessage: err.message }) },
    });
    expect(notes[0]?.subject).toBe('edgeqc rollout FAILED at VerifyCanary: tag-scratch 1.0.2');
    expect(notes[0]?.message).toContain(`Error: ${ErrorNames.QualityGateFailed}`);
    expect(notes[0]?.message).toMatch(
      /Reason: quality gate FAILED on defect rate, score drift: .*defect rate 0\.300 -> 0\.850 \(\+0\.550, limit \+0\.100\) FAILED/,
    );
    expect(notes[0]?.message).toContain('The fleet was not touched.');
  });

  it("lets a failing canary through on the operator's override, recorded with who and why", async () => {
    const w = await world();
    const override = { by: 'jane@plant-3', reason: 'new supplier, more scratches expected' };
    const s1 = await w.verifyAt(0)({ ...w.state, qualityGateOverride: override });
    w.report(61, { ok: 10, defect: 85, unclear: 5 });
    const done = await w.verifyAt(62)(s1);
    expect(done.canary?.done).toBe(true);
    expect(done.qualityGate).toMatchObject({ outcome: 'overridden', override, failures: ['defect-rate', 'drift'] });
    expect(done.qualityGate?.summary).toMatch(
      /^quality gate OVERRIDDEN by jane@plant-3 \(new supplier, more scratches expected\)/,
    );
  });

  it("compares with the fleet's figures when the canary's own before the swap are too few", async () => {
    const w = await world();
    w.behaviour.messages.length = 0;
    w.behaviour.messages.push(
      metricsMessage('canary-1', '1.0.1', { ok: 5, defect: 3, sha256: SHA.old, publishedAt: T0 }),
      metricsMessage('line-1', '1.0.1', { ok: 120, defect: 60, unclear: 20, sha256: SHA.old, publishedAt: T0 }),
      metricsMessage('line-2', '1.0.1', { ok: 120, defect: 60, unclear: 20, sha256: SHA.old, publishedAt: T0 }),
    );
    w.behaviour.rejectedBy.set('line-2', 2);
    const s1 = await w.verifyAt(0)(w.state);
    w.report(61, { ok: 60, defect: 30, unclear: 10 });
    const done = await w.verifyAt(62)(s1);
    expect(done.qualityGate?.figures).toMatchObject({
      baseline: { source: 'fleet', devices: ['line-1', 'line-2'], images: 400 },
      rejected: 2,
    });
    expect(done.qualityGate?.summary).toContain("(the fleet's)");
  });

  it('reads its settings from the environment, refusing one out of range with the variable and value', () => {
    const config = configFromEnv({ EDGEQC_CANARY_BAKE_SECONDS: '120', EDGEQC_GATE_MIN_IMAGES: '50' });
    expect(qualityGateSettings(config)).toEqual({
      minImages: 50,
      minBakeSeconds: 120,
      maxUnclearRateIncrease: 0.1,
      maxDefectRateIncrease: 0.1,
      maxScorePsi: 0.25,
    });
    expect(qualityGateSettings(configFromEnv({ EDGEQC_QUALITY_GATE: 'off' }))).toBeUndefined();
    expect(() => configFromEnv({ EDGEQC_GATE_MAX_DEFECT_RATE_INCREASE: '2' })).toThrow(
      /EDGEQC_GATE_MAX_DEFECT_RATE_INCREASE="2"/,
    );
    expect(() => configFromEnv({ EDGEQC_GATE_MAX_SCORE_PSI: '0' })).toThrow(/EDGEQC_GATE_MAX_SCORE_PSI="0"/);
    expect(() => configFromEnv({ EDGEQC_QUALITY_GATE: 'maybe' })).toThrow(/EDGEQC_QUALITY_GATE="maybe"/);
  });
});
