/**
 * VerifyCanary: every canary device serves the new model with a passing self-test, holds through the bake,
 * and behaves on the line as before (the quality gate, canary-gate-step.ts); see verify-stage.ts.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoDbBehaviourSource } from '../adapters/dynamodb-behaviour-source.ts';
import { StepNames } from '../domain/rollout-state.ts';
import { ErrorNames, RolloutError } from '../errors.ts';
import { awsConfig, awsDeploymentService, awsFleetHealth } from './aws-wiring.ts';
import { qualityGateSettings } from './config.ts';
import { IngestEnvNames } from './ingest-metrics-entry.ts';
import { defineStep, lambdaEntry } from './step.ts';
import { VerifyInputSchema, type VerifyStageDeps, verifyStage } from './verify-stage.ts';

export function createVerifyCanaryHandler(deps: VerifyStageDeps) {
  return defineStep(StepNames.VerifyCanary, VerifyInputSchema, (input, log) => verifyStage('canary', deps, input, log));
}

export const handler = lambdaEntry(() => {
  const c = awsConfig();
  const gate = qualityGateSettings(c);
  const table = process.env[IngestEnvNames.MetricsTable];
  if (gate && !table) {
    throw new RolloutError(
      ErrorNames.Config,
      'ENV_MISSING',
      `environment ${IngestEnvNames.MetricsTable} is not set (the quality gate reads the metrics table; EDGEQC_QUALITY_GATE=off turns the gate off)`,
    );
  }
  return createVerifyCanaryHandler({
    deployments: awsDeploymentService(),
    health: awsFleetHealth(c),
    timeoutSeconds: c.canaryTimeoutSeconds,
    bakeSeconds: c.canaryBakeSeconds,
    gate:
      gate && table
        ? {
            behaviour: createDynamoDbBehaviourSource(new DynamoDBClient({}), table),
            config: gate,
            fleetGroup: c.fleetGroup,
          }
        : undefined,
  });
});
