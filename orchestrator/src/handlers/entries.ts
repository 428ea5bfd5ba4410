/**
 * Lambda entry files by state name, for infra's NodejsFunction (`entry`, `handler`) and the local
 * runner. Every entry exports `handler`; its logic is `create<Step>Handler(deps)` in the same file.
 * One function per state; CheckDeployable is the Task inside the WaitDeployable loop.
 */
import { fileURLToPath } from 'node:url';
import { type StepName, StepNames } from '../domain/rollout-state.ts';

export interface HandlerEntry {
  /** Absolute path of the TypeScript entry file. */
  readonly entry: string;
  /** The exported function Lambda calls. */
  readonly handler: 'handler';
}

const FILES: Readonly<Record<StepName, string>> = {
  [StepNames.ResolveModel]: './resolve-model.ts',
  [StepNames.PackageModel]: './package-model.ts',
  [StepNames.CreateComponentVersion]: './create-component-version.ts',
  [StepNames.CheckDeployable]: './check-deployable.ts',
  [StepNames.DeployCanary]: './deploy-canary.ts',
  [StepNames.VerifyCanary]: './verify-canary.ts',
  [StepNames.DeployFleet]: './deploy-fleet.ts',
  [StepNames.VerifyFleet]: './verify-fleet.ts',
  [StepNames.UndoRollout]: './undo-rollout.ts',
  [StepNames.Notify]: './notify.ts',
  [StepNames.NotifyFailure]: './notify-failure.ts',
};

export const handlerEntries: Readonly<Record<StepName, HandlerEntry>> = Object.freeze(
  Object.fromEntries(
    Object.entries(FILES).map(([step, file]) => [
      step,
      Object.freeze({ entry: fileURLToPath(new URL(file, import.meta.url)), handler: 'handler' as const }),
    ]),
  ) as Record<StepName, HandlerEntry>,
);

export { ChoicePaths, type StepName, StepNames } from '../domain/rollout-state.ts';
export { BUSY_ERROR_NAMES, ErrorNames, FATAL_ERROR_NAMES, RETRYABLE_ERROR_NAMES } from '../errors.ts';
export { type EnvName, EnvNames } from './env.ts';
export {
  DEFAULT_METRICS_NAMESPACE,
  IngestEnvNames,
  ingestMetricsEntry,
  METRIC_DIMENSIONS,
  METRIC_NAMES,
  METRICS_TABLE,
  NO_GROUP,
} from './ingest-metrics-entry.ts';
