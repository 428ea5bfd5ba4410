/** VerifyFleet: the fleet serves the new model; the abort threshold fails the rollout (see verify-stage.ts). */
import { StepNames } from '../domain/rollout-state.ts';
import { awsConfig, awsDeploymentService, awsFleetHealth } from './aws-wiring.ts';
import { defineStep, lambdaEntry } from './step.ts';
import { VerifyInputSchema, type VerifyStageDeps, verifyStage } from './verify-stage.ts';

export function createVerifyFleetHandler(deps: VerifyStageDeps) {
  return defineStep(StepNames.VerifyFleet, VerifyInputSchema, (input, log) => verifyStage('fleet', deps, input, log));
}

export const handler = lambdaEntry(() => {
  const c = awsConfig();
  return createVerifyFleetHandler({
    deployments: awsDeploymentService(),
    health: awsFleetHealth(c),
    timeoutSeconds: c.fleetTimeoutSeconds,
    abortPercent: c.fleetAbortPercent,
  });
});
