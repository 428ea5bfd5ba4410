/** The handlers' logic factories, for the local runner and tests (Lambda uses each file's `handler`). */
export { createCheckDeployableHandler } from './check-deployable.ts';
export { createCreateComponentVersionHandler } from './create-component-version.ts';
export { createDeployCanaryHandler } from './deploy-canary.ts';
export { createDeployFleetHandler } from './deploy-fleet.ts';
export { handlerEntries } from './entries.ts';
export { createIngestMetricsHandler } from './ingest-metrics.ts';
export { createNotifyHandler } from './notify.ts';
export { createNotifyFailureHandler } from './notify-failure.ts';
export { createPackageModelHandler, recipeUriOf } from './package-model.ts';
export { createResolveModelHandler } from './resolve-model.ts';
export { defaultLogger } from './step.ts';
export { createUndoRolloutHandler } from './undo-rollout.ts';
export { createVerifyCanaryHandler } from './verify-canary.ts';
export { createVerifyFleetHandler } from './verify-fleet.ts';
