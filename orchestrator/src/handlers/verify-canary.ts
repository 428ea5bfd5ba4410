/** VerifyCanary: every canary device serves the new model with a passing self-test (see verify-stage.ts). */
import { StepNames } from '../domain/rollout-state.ts';
import { awsConfig, awsDeploymentService, awsFleetHealth } from './aws-wiring.ts';
import { defineStep, lambdaEntry } from './step.ts';
import { VerifyInputSchema, type VerifyStageDeps, verifyStage } from './verify-stage.ts';

export function createVerifyCanaryHandler(deps: VerifyStageDeps) {
  return defineStep(StepNames.VerifyCanary, VerifyInputSchema, (input, log) => verifyStage('canary', deps, input, log));
}

export const handler = lambdaEntry(() => {
  const c = awsConfig();
  return createVerifyCanaryHandler({
    deployments: awsDeploymentService(),
    health: awsFleetHealth(c),
    timeoutSeconds: c.canaryTimeoutSeconds,
    bakeSeconds: c.canaryBakeSeconds,
  });
});
