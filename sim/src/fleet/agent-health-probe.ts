/**
 * Device health probe for the inference agent: after a deployment starts it, the agent is healthy when
 * its retained status (published after the start) says `online`, serving the model the deployment
 * carries (sha256 from the model component's configuration) with a passing self-test. `degraded` or
 * a failing self-test of that model is unhealthy, with the agent's own reason. Other components are
 * healthy once their processes keep running.
 */
import type { Status } from '@edgeqc/edge-component/contracts';
import type { HealthProbe } from '../device/core-device.ts';

export const INFERENCE_COMPONENT = 'com.edgeqc.Inference';

export function agentHealthProbe(statusOf: (thingName: string) => Status | undefined): HealthProbe {
  return async ({ thingName, component, dependencies, startedAt }) => {
    if (component !== INFERENCE_COMPONENT) return { state: 'healthy' };
    const model = Object.entries(dependencies).find(([name]) => name.startsWith('com.edgeqc.Model.'));
    const expected = model?.[1].configuration.modelSha256;
    const status = statusOf(thingName);
    if (!status || Date.parse(status.at) < startedAt.getTime()) {
      return { state: 'pending', detail: 'no status from the new agent yet' };
    }
    if (status.selfTest && status.selfTest.modelSha256 === expected && !status.selfTest.passed) {
      return {
        state: 'unhealthy',
        reason: `self-test of model ${model?.[0]} ${model?.[1].version} failed: ${status.selfTest.failures.join('; ') || 'no details'}`,
      };
    }
    if (status.state === 'degraded' || status.state === 'offline') {
      return {
        state: 'unhealthy',
        reason: `agent is ${status.state}: ${status.reason ?? status.lastError ?? 'no reason given'}`,
      };
    }
    if (
      (typeof expected === 'string' && status.model?.sha256 !== expected) ||
      status.model?.version !== model?.[1].version
    ) {
      return {
        state: 'pending',
        detail: `agent serves model ${status.model?.version ?? 'none'} (${status.model?.sha256.slice(0, 12) ?? '-'}), expected ${model?.[1].version ?? '?'} (${String(expected).slice(0, 12)})`,
      };
    }
    return { state: 'healthy' };
  };
}
