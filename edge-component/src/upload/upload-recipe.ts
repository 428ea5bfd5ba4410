/**
 * What uploads need from the Greengrass recipe: with `upload.enabled` and the S3 target, a HARD
 * dependency on aws.greengrass.TokenExchangeService, which serves the token exchange role's credentials
 * to the component (AWS_CONTAINER_CREDENTIALS_FULL_URI) and which the nucleus starts before the agent.
 * The upload keys themselves are in the recipe's DefaultConfiguration like every other key; a
 * deployment that switches uploads on must also carry the token exchange service (or package the agent
 * with uploads on, which declares it).
 */
import type { Recipe } from '@edgeqc/model-component/recipe';

export const TOKEN_EXCHANGE_COMPONENT = 'aws.greengrass.TokenExchangeService';
/** Token exchange service 2.x (the current major). */
export const TOKEN_EXCHANGE_VERSION = '^2.0.0';

/** True when the agent configuration uploads to S3 (and so needs AWS credentials under Greengrass). */
export function usesTokenExchange(agentConfig: Readonly<Record<string, unknown>>): boolean {
  const upload = agentConfig.upload as { enabled?: unknown; target?: unknown } | undefined;
  return upload?.enabled === true && upload.target !== 'folder';
}

/** The rendered recipe with the token exchange dependency when the configuration uploads to S3. */
export function withUploadDependencies(recipe: unknown, agentConfig: Readonly<Record<string, unknown>>): unknown {
  if (!usesTokenExchange(agentConfig)) return recipe;
  const r = recipe as Pick<Recipe, 'ComponentDependencies'> & Record<string, unknown>;
  return {
    ...r,
    ComponentDependencies: {
      ...r.ComponentDependencies,
      [TOKEN_EXCHANGE_COMPONENT]: { VersionRequirement: TOKEN_EXCHANGE_VERSION, DependencyType: 'HARD' },
    },
  };
}
