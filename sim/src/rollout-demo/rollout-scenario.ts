/**
 * The whole-system rollout story, shared by `npm run demo:rollout` and the end-to-end test:
 *   cameras feed three devices -> model v1 approved -> the state machine rolls it out -> devices inspect;
 *   v2 approved -> canary, then fleet, while the cameras keep feeding (nothing lost, nothing twice);
 *   v2.1 approved: validly signed, it passes its self-tests, but on the line it calls most tags defects ->
 *   the canary's quality gate compares its metrics with the canary's own before the swap and refuses it
 *   with the figures; the canary goes back to v2, the fleet is never touched;
 *   v3 approved, but tampered -> the canary refuses it and rolls back, the rollout stops, the fleet stays
 *   on v2, and the failure notification names the reason;
 *   v4 approved: it passes the canary (and its bake) but one fleet device refuses it -> the rollout fails
 *   at the fleet, both deployments are canceled and each group's previous deployment redeployed, and the
 *   notification says so; every device is back on v2 (the agent's anti-rollback lets back exactly the
 *   model it served before its last raise): the story reports what each device ended on.
 * It drives the world and the pipeline through their public faces and reports what happened; it asserts
 * nothing itself (the test does; the demo prints).
 */

import { extname } from 'node:path';
import { runCameraSimulator } from '../edge-demo/camera-simulator.ts';
import type { LocalWorld } from '../fleet/local-world.ts';
import type { LocalExecutionResult } from '../runner/local-execution.ts';
import { type DeviceSummary, MODEL_COMPONENT_PREFIX, summarizeInspections } from './fleet-summary.ts';

export interface PipelineRun {
  readonly execution: LocalExecutionResult;
  /** What the pipeline notified (the SNS messages, locally). */
  readonly notifications: readonly string[];
}

export interface RolloutPipeline {
  run(modelPackageArn: string, executionName: string): Promise<PipelineRun>;
}

export interface ScenarioModelRelease {
  readonly version: string;
  /** How this release is spoiled, if it is: the artifact is tampered with after packaging. */
  readonly tamper?: boolean;
  /** A fleet device that refuses this release (a device-side fault injected before it is approved). */
  readonly refusedBy?: string;
  /**
   * How this release misbehaves on the line though it is validly signed and passes its self-tests (told in
   * the story; the release's files make it so).
   */
  readonly misbehaves?: string;
}

export interface RolloutScenarioOptions {
  readonly world: LocalWorld;
  readonly pipeline: RolloutPipeline;
  /** Registers (and approves) a model version; returns its model package ARN. */
  readonly registerModel: (release: ScenarioModelRelease) => Promise<string>;
  /** Called between packaging and deployment for a tampered release (flips bytes in the store). */
  readonly cameraDirOf: (thingName: string) => string;
  /** Source images the cameras cycle through. */
  readonly images: readonly string[];
  readonly shotIntervalMs: number;
  /** How long to wait for devices to show a result (status, inspections). */
  readonly settleTimeoutMs: number;
  /** First rollout, second rollout, the release that misbehaves, the tampered one, the one the fleet refuses. */
  readonly releases: readonly [
    ScenarioModelRelease,
    ScenarioModelRelease,
    ScenarioModelRelease,
    ScenarioModelRelease,
    ScenarioModelRelease,
  ];
  readonly say: (line: string) => void;
}

export interface ScenarioStep {
  readonly title: string;
  readonly modelVersion: string;
  readonly execution: LocalExecutionResult;
  readonly notifications: readonly string[];
  /** Per device after the step: installed model version. */
  readonly installed: Readonly<Record<string, string | undefined>>;
  /** Per device: the status of its latest deployment. */
  readonly lastDeployment: Readonly<Record<string, { name: string; status: string; reason?: string } | undefined>>;
  /** Per device: every deployment it has seen so far, newest first. */
  readonly deployments: Readonly<Record<string, readonly { name: string; status: string; reason?: string }[]>>;
}

/** A device after the undo of the release that failed on the fleet. */
export interface UndoOutcome {
  readonly thingName: string;
  readonly modelVersion: string | undefined;
  /** Its restore deployment's outcome (FAILED with the agent's reason when it refused the older model). */
  readonly restore: { readonly status: string; readonly reason?: string };
}

export interface ScenarioReport {
  readonly steps: readonly ScenarioStep[];
  readonly afterUndo: readonly UndoOutcome[];
  readonly devices: readonly DeviceSummary[];
  readonly shotsPerDevice: Readonly<Record<string, number>>;
  readonly durationMs: number;
}

function installedModel(world: LocalWorld, thing: string): string | undefined {
  return world.fleet.listInstalledComponents(thing).find((c) => c.componentName?.startsWith(MODEL_COMPONENT_PREFIX))
    ?.componentVersion;
}

export async function runRolloutScenario(o: RolloutScenarioOptions): Promise<ScenarioReport> {
  const started = Date.now();
  const { world, say } = o;
  const things = world.fleet.devices.map((d) => d.thingName);
  const steps: ScenarioStep[] = [];
  const afterUndo: UndoOutcome[] = [];

  say(`cameras: ${things.length} devices, one image every ${o.shotIntervalMs} ms each, until the story ends`);
  const stopFeeds = new AbortController();
  const shotsFed: Record<string, number> = Object.fromEntries(things.map((t) => [t, 0]));
  const feeds = things.map((thing) =>
    runCameraSimulator({
      sources: o.images,
      cameraDir: o.cameraDirOf(thing),
      intervalMs: o.shotIntervalMs,
      count: Infinity,
      uniqueBytes: true,
      fileName: (sequence, source) => `${thing}-${String(sequence).padStart(4, '0')}${extname(source).toLowerCase()}`,
      signal: stopFeeds.signal,
      onDrop: () => {
        shotsFed[thing] = (shotsFed[thing] ?? 0) + 1;
      },
    }),
  );

  const waitServing = async (version: string, who: readonly string[]) => {
    await world.observer.waitFor(
      () =>
        who.every(
          (t) => world.observer.status(t)?.model?.version === version && world.observer.status(t)?.state === 'online',
        ),
      o.settleTimeoutMs,
      `${who.join(', ')} serving model ${version}`,
    );
    await world.observer.waitFor(
      () => who.every((t) => world.observer.inspections(t).some((i) => i.model.version === version)),
      o.settleTimeoutMs,
      `an inspection with model ${version} from ${who.join(', ')}`,
    );
  };

  const release = async (r: ScenarioModelRelease, title: string): Promise<ScenarioStep> => {
    say(`\n== ${title}`);
    const arn = await o.registerModel(r);
    const note = r.tamper
      ? ' (an attacker will swap its model file in the artifact store and fix up the recipe digest: only the signed manifest can tell)'
      : r.refusedBy
        ? ` (fault injected: ${r.refusedBy} will refuse it)`
        : r.misbehaves
          ? ` (${r.misbehaves})`
          : '';
    say(`registry: ${arn} approved${note}`);
    const run = await o.pipeline.run(arn, `rollout-${r.version.replaceAll('.', '-')}`);
    const e = run.execution;
    say(`state machine: ${e.status} via ${compactPath(e.path)}`);
    if (e.error) say(`  error ${e.error}: ${String(e.cause).slice(0, 300)}`);
    for (const n of run.notifications) say(`notification:\n${n.replace(/^/gm, '    | ')}`);
    const step: ScenarioStep = {
      title,
      modelVersion: r.version,
      execution: e,
      notifications: run.notifications,
      installed: Object.fromEntries(things.map((t) => [t, installedModel(world, t)])),
      deployments: Object.fromEntries(
        things.map((t) => [
          t,
          world.fleet.listEffectiveDeployments(t).map((d) => ({
            name: String(d.deploymentName),
            status: String(d.coreDeviceExecutionStatus),
            reason: d.reason,
          })),
        ]),
      ),
      lastDeployment: Object.fromEntries(
        things.map((t) => {
          const d = world.fleet.listEffectiveDeployments(t)[0];
          return [
            t,
            d
              ? { name: String(d.deploymentName), status: String(d.coreDeviceExecutionStatus), reason: d.reason }
              : undefined,
          ];
        }),
      ),
    };
    for (const t of things) {
      const d = step.lastDeployment[t];
      say(
        `  ${t.padEnd(10)} model ${step.installed[t] ?? '-'}  last deployment ${d?.status ?? '-'}${d?.reason ? `: ${d.reason.slice(0, 200)}` : ''}`,
      );
    }
    steps.push(step);
    return step;
  };

  try {
    const [v1, v2, bad, v3, v4] = o.releases;
    const s1 = await release(v1, `model ${v1.version}: first rollout`);
    if (s1.execution.status === 'SUCCEEDED') {
      await waitServing(v1.version, things);
      say(
        `devices inspect with ${v1.version}: ${things.map((t) => `${t} ${world.observer.inspections(t).length}`).join(', ')}`,
      );
    }
    const s2 = await release(v2, `model ${v2.version}: canary, then fleet, cameras still running`);
    if (s2.execution.status === 'SUCCEEDED') {
      await waitServing(v2.version, things);
      say(
        `devices inspect with ${v2.version}: ${things.map((t) => `${t} ${world.observer.inspections(t).length}`).join(', ')}`,
      );
    }
    await release(bad, `model ${bad.version}: signed, self-tests pass, but it behaves badly on the line`);
    await release(v3, `model ${v3.version}: a tampered release that must not pass the canary`);
    const s4 = await release(v4, `model ${v4.version}: passes the canary, fails on the fleet, everything goes back`);
    if (s4.execution.status === 'FAILED') {
      // UndoRollout redeployed each group's previous deployment: wait until every device has applied it.
      const restored = (t: string) => {
        const d = world.fleet.listEffectiveDeployments(t)[0];
        return (
          String(d?.deploymentName).includes('-restore-') &&
          (d?.coreDeviceExecutionStatus === 'SUCCEEDED' || d?.coreDeviceExecutionStatus === 'FAILED')
        );
      };
      await world.observer
        .waitFor(() => things.every(restored), o.settleTimeoutMs, 'every device done with its restore deployment')
        .catch((err: Error) => say(`  ${err.message}`));
      for (const t of things) {
        const d = world.fleet.listEffectiveDeployments(t)[0];
        say(
          `  after the undo: ${t.padEnd(10)} model ${installedModel(world, t) ?? '-'}, restore ${d?.coreDeviceExecutionStatus ?? '-'}${d?.reason && d.coreDeviceExecutionStatus === 'FAILED' ? `: ${d.reason.slice(0, 240)}` : ''}`,
        );
      }
      afterUndo.push(
        ...things.map((t) => {
          const d = world.fleet.listEffectiveDeployments(t)[0];
          return {
            thingName: t,
            modelVersion: installedModel(world, t),
            restore: { status: String(d?.coreDeviceExecutionStatus), reason: d?.reason },
          };
        }),
      );
    }
  } finally {
    stopFeeds.abort();
    await Promise.all(feeds);
  }

  say('\n== draining: every image the cameras dropped must be inspected exactly once');
  await world.observer
    .waitFor(
      () =>
        things.every(
          (t) => new Set(world.observer.inspections(t).map((i) => i.image.sha256)).size >= (shotsFed[t] ?? 0),
        ),
      o.settleTimeoutMs,
      'every fed image inspected',
    )
    .catch((err: Error) => say(`  ${err.message}`));

  const devices: DeviceSummary[] = world.fleet.devices.map((d) => {
    const last = d.listEffectiveDeployments()[0];
    return {
      thingName: d.thingName,
      thingGroups: d.thingGroups,
      modelVersion: installedModel(world, d.thingName),
      servingVersion: world.observer.status(d.thingName)?.model?.version,
      ...summarizeInspections(world.observer.inspections(d.thingName)),
      lastDeployment: last
        ? { name: String(last.deploymentName), status: String(last.coreDeviceExecutionStatus), reason: last.reason }
        : undefined,
    };
  });
  return { steps, devices, afterUndo, shotsPerDevice: shotsFed, durationMs: Date.now() - started };
}

/** "A -> B -> B -> B -> C" as "A -> B x3 -> C"; Wait/Choice loops read as one step repeated. */
export function compactPath(path: readonly string[]): string {
  const out: string[] = [];
  let i = 0;
  while (i < path.length) {
    // A repeating cycle of 1-3 states (e.g. VerifyCanary -> CanaryDone -> WaitCanary).
    let best = { len: 1, reps: 1 };
    for (let len = 1; len <= 3; len++) {
      let reps = 1;
      while (path.slice(i, i + len).every((s, k) => path[i + reps * len + k] === s)) reps++;
      if (reps > 1 && reps * len > best.reps * best.len) best = { len, reps };
    }
    const unit = path.slice(i, i + best.len).join(' -> ');
    out.push(best.reps > 1 ? `(${unit}) x${best.reps}` : unit);
    i += best.len * best.reps;
  }
  return out.join(' -> ');
}
