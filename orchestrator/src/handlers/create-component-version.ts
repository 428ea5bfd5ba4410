/**
 * CreateComponentVersion: register the model component version from its recipe in S3. Idempotent: the
 * same version with the same recipe is reused (a re-run of the same model makes no duplicate).
 */
import type { z } from 'zod';
import { ComponentRefSchema, type RolloutState, RolloutStateSchema, StepNames } from '../domain/rollout-state.ts';
import { ErrorNames, RolloutError } from '../errors.ts';
import type { ArtifactStore, ComponentCatalog } from '../ports.ts';
import { awsArtifactStore, awsComponentCatalog, awsConfig } from './aws-wiring.ts';
import { defineStep, lambdaEntry } from './step.ts';

export interface CreateComponentVersionDeps {
  readonly store: ArtifactStore;
  readonly catalog: ComponentCatalog;
}

const InputSchema = RolloutStateSchema.extend({ component: ComponentRefSchema });

export function createCreateComponentVersionHandler(deps: CreateComponentVersionDeps) {
  return defineStep(
    StepNames.CreateComponentVersion,
    InputSchema,
    async (input: z.infer<typeof InputSchema>, log): Promise<RolloutState> => {
      const recipe = await deps.store.get(input.component.recipeUri);
      const created = await deps.catalog.createComponentVersion(recipe);
      if (created.componentName !== input.component.name || created.componentVersion !== input.component.version) {
        throw new RolloutError(
          ErrorNames.InvalidInput,
          'RECIPE_MISMATCH',
          `recipe ${input.component.recipeUri} is ${created.componentName} ${created.componentVersion}, expected ${input.component.name} ${input.component.version}`,
        );
      }
      log.info({ arn: created.arn, reused: created.reused, state: created.state }, 'component version');
      return { ...input, component: { ...input.component, arn: created.arn }, deployable: false, deployableChecks: 0 };
    },
  );
}

export const handler = lambdaEntry(() =>
  createCreateComponentVersionHandler({ store: awsArtifactStore(), catalog: awsComponentCatalog(awsConfig()) }),
);
