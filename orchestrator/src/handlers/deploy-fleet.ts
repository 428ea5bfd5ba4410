/** DeployFleet: the new model to the fleet thing group, exponential rollout with abort criteria. */
import { StepNames } from '../domain/rollout-state.ts';
import { awsConfig, awsDeploymentService } from './aws-wiring.ts';
import { DeployInputSchema, type DeployStageDeps, deployStage } from './deploy-stage.ts';
import { defineStep, lambdaEntry } from './step.ts';

export function createDeployFleetHandler(deps: DeployStageDeps) {
  return defineStep(StepNames.DeployFleet, DeployInputSchema, (input, log) => deployStage('fleet', deps, input, log));
}

export const handler = lambdaEntry(() => {
  const c = awsConfig();
  return createDeployFleetHandler({
    deployments: awsDeploymentService(),
    group: c.fleetGroup,
    inferenceVersion: c.inferenceComponentVersion,
    options: { fleetAbortPercent: c.fleetAbortPercent },
  });
});
