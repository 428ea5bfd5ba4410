/**
 * Is one device running the new model, healthy? Pure: from its effective deployments, its installed
 * components and its retained status message (edgeqc.status.v1).
 *   healthy  the deployment completed, every expected component is at its version and not broken, and
 *            the status reports the new model's sha256 with a passing self-test
 *   pending  not there yet (queued, in progress, status not updated)
 *   failed   the deployment failed / timed out / was canceled, the device rolled back, a component is
 *            BROKEN or ERRORED, or the self-test of the new model failed
 */
import { StatusSchema } from '@edgeqc/edge-component/contracts';
import type { EffectiveDeploymentInfo, InstalledComponentInfo } from '../ports.ts';

export type DeviceVerdict = 'healthy' | 'pending' | 'failed';

export interface DeviceAssessment {
  readonly thingName: string;
  readonly verdict: DeviceVerdict;
  readonly reason: string;
}

export interface Expected {
  readonly deploymentId: string;
  /** Component name -> version the device must have installed. */
  readonly components: Readonly<Record<string, string>>;
  readonly modelSha256: string;
}

export interface DeviceObservation {
  readonly thingName: string;
  readonly effectiveDeployments: readonly EffectiveDeploymentInfo[];
  readonly installedComponents: readonly InstalledComponentInfo[];
  /** The parsed retained status payload; undefined when there is none. */
  readonly status: unknown;
}

const FAILED_EXECUTION = new Set(['FAILED', 'TIMED_OUT', 'CANCELED', 'REJECTED']);
const DONE_EXECUTION = new Set(['COMPLETED', 'SUCCEEDED']);
const BROKEN_LIFECYCLE = new Set(['BROKEN', 'ERRORED']);

export function assessDevice(o: DeviceObservation, expected: Expected): DeviceAssessment {
  const at = (verdict: DeviceVerdict, reason: string): DeviceAssessment => ({
    thingName: o.thingName,
    verdict,
    reason,
  });
  const ours = o.effectiveDeployments.find((d) => d.deploymentId === expected.deploymentId);
  if (!ours) return at('pending', `deployment ${expected.deploymentId} has not reached the device yet`);
  if (FAILED_EXECUTION.has(ours.executionStatus)) {
    const detail = [ours.detailedStatus, ours.reason].filter(Boolean).join(': ');
    return at('failed', `deployment ${ours.executionStatus}${detail ? ` (${detail})` : ''}`);
  }
  if (!DONE_EXECUTION.has(ours.executionStatus)) return at('pending', `deployment ${ours.executionStatus}`);

  for (const [name, version] of Object.entries(expected.components)) {
    const c = o.installedComponents.find((x) => x.componentName === name);
    if (!c) return at('failed', `${name} is not installed after the deployment completed`);
    if (BROKEN_LIFECYCLE.has(c.lifecycleState))
      return at('failed', `${name} ${c.componentVersion} is ${c.lifecycleState}`);
    if (c.componentVersion !== version) {
      return at('failed', `${name} is at ${c.componentVersion}, expected ${version} (rolled back)`);
    }
  }

  if (o.status === undefined) return at('pending', 'no retained status message yet');
  const parsed = StatusSchema.safeParse(o.status);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return at(
      'failed',
      `the retained status is not an edgeqc.status.v1 message (${issue?.path.join('.') || 'payload'}: ${issue?.message})`,
    );
  }
  const s = parsed.data;
  if (s.selfTest && s.selfTest.modelSha256 === expected.modelSha256 && !s.selfTest.passed) {
    const failures = s.selfTest.failures.slice(0, 3).join('; ');
    return at('failed', `self-test of the new model failed${failures ? `: ${failures}` : ''}`);
  }
  if (s.state === 'offline') return at('pending', `agent is offline${s.reason ? ` (${s.reason})` : ''}`);
  if (s.model?.sha256 !== expected.modelSha256) {
    return at('pending', `agent serves model sha256 ${s.model?.sha256 ?? 'none'}, not ${expected.modelSha256} yet`);
  }
  if (!s.selfTest || s.selfTest.modelSha256 !== expected.modelSha256) {
    return at('pending', 'no self-test result for the new model yet');
  }
  return at('healthy', `serves ${expected.modelSha256.slice(0, 12)}, self-test passed (${s.selfTest.cases} cases)`);
}
