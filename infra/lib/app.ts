/**
 * Builds the stacks from the app's context (one wiring place for bin/app.ts and the tests): pipeline,
 * devices, review.
 */
import type { App } from 'aws-cdk-lib';
import { DeviceFleetStack } from './device-fleet-stack.ts';
import { PipelineStack } from './pipeline-stack.ts';
import { ReviewStack } from './review-stack.ts';

function intContext(app: App, key: string): number | undefined {
  const raw = app.node.tryGetContext(key);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new Error(`context ${key}=${JSON.stringify(raw)}: expected an integer`);
  return n;
}

function stringContext(app: App, key: string): string | undefined {
  const raw = app.node.tryGetContext(key);
  return raw === undefined || raw === '' ? undefined : String(raw);
}

export function buildApp(app: App): { pipeline: PipelineStack; devices?: DeviceFleetStack; review?: ReviewStack } {
  const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
  const pipeline = new PipelineStack(app, 'EdgeqcPipeline', {
    env,
    modelPackageGroup: stringContext(app, 'modelPackageGroup'),
    notificationEmail: stringContext(app, 'notificationEmail'),
    inferenceComponentVersion: stringContext(app, 'inferenceComponentVersion'),
  });
  // The review app in AWS (issue 26): `-c review=false` leaves it out.
  const review = stringContext(app, 'review') === 'false' ? undefined : new ReviewStack(app, 'EdgeqcReview', { env });
  const deviceCount = intContext(app, 'deviceCount') ?? 3;
  if (deviceCount === 0) return { pipeline, review };
  const devices = new DeviceFleetStack(app, 'EdgeqcDevices', {
    env,
    canaryGroup: pipeline.canaryGroupName,
    fleetGroup: pipeline.fleetGroupName,
    deviceCount,
    canaryCount: intContext(app, 'canaryCount'),
    instanceType: stringContext(app, 'instanceType'),
    shotIntervalSeconds: intContext(app, 'shotIntervalSeconds'),
  });
  devices.addStackDependency(pipeline);
  // The review stack reads the inspections bucket the device fleet stack creates (by name).
  review?.addStackDependency(devices);
  return { pipeline, devices, review };
}
