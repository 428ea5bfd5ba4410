/** The one-machine mode: simulated devices, local adapters, the local state machine runner, the rollout demo. */

export { CoreDevice, type CoreDeviceOptions, type DeviceEvent } from './device/core-device.ts';
export { createLocalWorld, type LocalWorld } from './fleet/local-world.ts';
export { createLocalPipeline } from './pipeline/local-pipeline.ts';
export { type DemoRolloutOptions, MISBEHAVING_VERSION, runDemoRollout } from './rollout-demo/demo-rollout.ts';
export { type DeviceSummary, formatDeviceLine } from './rollout-demo/fleet-summary.ts';
export { compactPath, type ScenarioReport, type ScenarioStep } from './rollout-demo/rollout-scenario.ts';
export { type LocalExecutionResult, runLocalExecution } from './runner/local-execution.ts';
