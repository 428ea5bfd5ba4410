/** DeployCanary: the new model to the canary thing group (see deploy-stage.ts). */
import { StepNames } from '../domain/rollout-state.ts';
import { awsConfig, awsDeploymentService } from './aws-wiring.ts';
import { DeployInputSchema, type DeployStageDeps, deployStage } from './deploy-stage.ts';
import { defineStep, lambdaEntry } from './step.ts';

export function createDeployCanaryHandler(deps: DeployStageDeps) {
  return defineStep(StepNames.DeployCanary, DeployInputSchema, (input, log) => deployStage('canary', deps, input, log));
}

export const handler = lambdaEntry(() => {
  const c = awsConfig();
  return createDeployCanaryHandler({
    deployments: awsDeploymentService(),
    group: c.canaryGroup,
    inferenceVersion: c.inferenceComponentVersion,
  });
});
