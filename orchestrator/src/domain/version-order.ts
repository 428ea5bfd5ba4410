/**
 * Rollouts go forward only: a model version not newer than the one the fleet serves is refused, so an
 * old version re-approved, or an older rollout that waited behind a newer one, is never deployed. A
 * deliberate return to older weights is a new release with a higher version. Pure.
 */
import { compareSemver } from '@edgeqc/model-component/manifest';
import { ErrorNames, RolloutError } from '../errors.ts';
import type { ModelRef } from './rollout-state.ts';

export function refuseNotNewer(model: Pick<ModelRef, 'name' | 'version' | 'arn'>, served: string | undefined): void {
  if (served === undefined || compareSemver(model.version, served) > 0) return;
  throw new RolloutError(
    ErrorNames.ModelOutdated,
    'NOT_NEWER',
    `model ${model.name} ${model.version} (${model.arn}) is not newer than ${served}, which the fleet serves: ` +
      'only a higher version is rolled out (publish older weights again as a new, higher version)',
  );
}
