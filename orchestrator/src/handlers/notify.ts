/** Notify: the rollout succeeded (or there was nothing to roll out) -> SNS. */
import { type RolloutState, RolloutStateSchema, StepNames } from '../domain/rollout-state.ts';
import type { Notifier } from '../ports.ts';
import { awsConfig, awsNotifier } from './aws-wiring.ts';
import { defineStep, lambdaEntry } from './step.ts';

export interface NotifyDeps {
  readonly notifier: Notifier;
}

export function successMessage(s: RolloutState): { subject: string; message: string } {
  if (s.found === false || !s.model) {
    const group = s.modelPackageGroupName ?? 'the model package group';
    return {
      subject: `edgeqc rollout: nothing to roll out in ${group}`,
      message: `No Approved model package in ${group}; nothing was deployed.`,
    };
  }
  const lines = [
    `Model ${s.model.name} ${s.model.version} (${s.model.arn}) is rolled out.`,
    s.component ? `Component: ${s.component.name} ${s.component.version}, model sha256 ${s.component.modelSha256}` : '',
    s.canary
      ? `Canary (${s.canary.group}, deployment ${s.canary.deploymentId}): ${s.canary.summary ?? 'verified'}`
      : '',
    s.qualityGate ? `Canary ${s.qualityGate.summary}` : '',
    s.fleet ? `Fleet (${s.fleet.group}, deployment ${s.fleet.deploymentId}): ${s.fleet.summary ?? 'verified'}` : '',
  ];
  return {
    subject: `edgeqc rollout succeeded: ${s.model.name} ${s.model.version}`,
    message: lines.filter(Boolean).join('\n'),
  };
}

export function createNotifyHandler(deps: NotifyDeps) {
  return defineStep(StepNames.Notify, RolloutStateSchema, async (input): Promise<RolloutState> => {
    const { subject, message } = successMessage(input);
    await deps.notifier.publish(subject, message, {
      outcome: input.found === false ? 'noop' : 'succeeded',
      ...(input.qualityGate ? { qualityGate: input.qualityGate.outcome } : {}),
    });
    return input;
  });
}

export const handler = lambdaEntry(() => createNotifyHandler({ notifier: awsNotifier(awsConfig()) }));
