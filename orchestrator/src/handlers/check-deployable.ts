/**
 * CheckDeployable (the WaitDeployable loop): DescribeComponent; DEPLOYABLE -> `deployable: true`,
 * FAILED -> ComponentFailed with Greengrass' message, otherwise `deployable: false` (the state machine
 * waits and checks again), and after `maxChecks` checks ComponentTimeout.
 */
import { z } from 'zod';
import { ComponentRefSchema, type RolloutState, RolloutStateSchema, StepNames } from '../domain/rollout-state.ts';
import { ErrorNames, RolloutError } from '../errors.ts';
import type { ComponentCatalog } from '../ports.ts';
import { awsComponentCatalog, awsConfig } from './aws-wiring.ts';
import { defineStep, lambdaEntry } from './step.ts';

export interface CheckDeployableDeps {
  readonly catalog: ComponentCatalog;
  /** Checks before giving up. Default 30 (with a 10 s wait: 5 minutes). */
  readonly maxChecks?: number;
}

const InputSchema = RolloutStateSchema.extend({ component: ComponentRefSchema.extend({ arn: z.string().min(1) }) });

export function createCheckDeployableHandler(deps: CheckDeployableDeps) {
  const maxChecks = deps.maxChecks ?? 30;
  return defineStep(
    StepNames.CheckDeployable,
    InputSchema,
    async (input: z.infer<typeof InputSchema>, log): Promise<RolloutState> => {
      const arn = input.component.arn;
      const checks = (input.deployableChecks ?? 0) + 1;
      const c = await deps.catalog.describeComponent(arn);
      const state = c?.state ?? 'REQUESTED';
      log.info({ arn, state, checks }, 'component state');
      if (state === 'DEPLOYABLE') return { ...input, deployable: true, deployableChecks: checks };
      if (state === 'FAILED' || state === 'DEPRECATED') {
        const errors = Object.entries(c?.errors ?? {})
          .map(([k, v]) => `${k}: ${v}`)
          .join('; ');
        throw new RolloutError(
          ErrorNames.ComponentFailed,
          state,
          `component ${arn} is ${state}: ${c?.message ?? 'no message'}${errors ? ` (${errors})` : ''}`,
        );
      }
      if (checks >= maxChecks) {
        throw new RolloutError(
          ErrorNames.ComponentTimeout,
          'NOT_DEPLOYABLE',
          `component ${arn} is still ${state} after ${checks} checks`,
        );
      }
      return { ...input, deployable: false, deployableChecks: checks };
    },
  );
}

export const handler = lambdaEntry(() => createCheckDeployableHandler({ catalog: awsComponentCatalog(awsConfig()) }));
