/**
 * ComponentCatalog over Greengrass v2. CreateComponentVersion is idempotent here: a ConflictException
 * (the version exists) is answered by DescribeComponent + GetComponent; the same recipe is reused,
 * a different one is a VersionConflict (component versions are immutable).
 */
import {
  CreateComponentVersionCommand,
  DescribeComponentCommand,
  GetComponentCommand,
  type GreengrassV2Client,
} from '@aws-sdk/client-greengrassv2';
import { ErrorNames, RolloutError } from '../errors.ts';
import type { ComponentCatalog, ComponentState, ComponentVersion } from '../ports.ts';
import { awsCall, isAwsError } from './aws-errors.ts';

interface RecipeIdentity {
  readonly name: string;
  readonly version: string;
}

function recipeIdentity(recipe: Uint8Array): RecipeIdentity {
  let parsed: { ComponentName?: unknown; ComponentVersion?: unknown };
  try {
    parsed = JSON.parse(new TextDecoder().decode(recipe)) as typeof parsed;
  } catch (cause) {
    throw new RolloutError(ErrorNames.InvalidInput, 'RECIPE_NOT_JSON', 'the component recipe is not JSON', { cause });
  }
  if (typeof parsed.ComponentName !== 'string' || typeof parsed.ComponentVersion !== 'string') {
    throw new RolloutError(
      ErrorNames.InvalidInput,
      'RECIPE_IDENTITY',
      'the recipe has no ComponentName/ComponentVersion',
    );
  }
  return { name: parsed.ComponentName, version: parsed.ComponentVersion };
}

/** Recipes compared as data: Greengrass returns them re-serialized (and may add Digests). */
function sameRecipe(ours: unknown, theirs: unknown): boolean {
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>)
          .filter(([k]) => k !== 'Digest' && k !== 'Algorithm')
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, x]) => [k, strip(x)]),
      );
    }
    return v;
  };
  return JSON.stringify(strip(ours)) === JSON.stringify(strip(theirs));
}

export function componentVersionArn(region: string, account: string, name: string, version: string): string {
  return `arn:aws:greengrass:${region}:${account}:components:${name}:versions:${version}`;
}

export interface GreengrassCatalogOptions {
  /** The ARN of a component version (region and account of the deployment), for the conflict path. */
  readonly arnOf: (name: string, version: string) => string;
}

export function createGreengrassComponentCatalog(
  client: Pick<GreengrassV2Client, 'send'>,
  options: GreengrassCatalogOptions,
): ComponentCatalog {
  const describeComponent = async (arn: string): Promise<ComponentVersion | undefined> => {
    try {
      const out = await awsCall(`Greengrass DescribeComponent ${arn}`, () =>
        client.send(new DescribeComponentCommand({ arn })),
      );
      return {
        arn: out.arn ?? arn,
        componentName: out.componentName ?? '',
        componentVersion: out.componentVersion ?? '',
        state: (out.status?.componentState ?? 'REQUESTED') as ComponentState,
        message: out.status?.message,
        errors: out.status?.errors,
      };
    } catch (err) {
      if (isAwsError(err, 'ResourceNotFoundException')) return undefined;
      throw err;
    }
  };
  return {
    describeComponent,
    async createComponentVersion(recipe) {
      const id = recipeIdentity(recipe);
      try {
        const out = await awsCall(`Greengrass CreateComponentVersion ${id.name} ${id.version}`, () =>
          client.send(new CreateComponentVersionCommand({ inlineRecipe: recipe })),
        );
        return {
          arn: out.arn ?? options.arnOf(id.name, id.version),
          componentName: out.componentName ?? id.name,
          componentVersion: out.componentVersion ?? id.version,
          state: (out.status?.componentState ?? 'REQUESTED') as ComponentState,
          message: out.status?.message,
          errors: out.status?.errors,
          reused: false,
        };
      } catch (err) {
        if (!isAwsError(err, 'ConflictException')) throw err;
        const arn = options.arnOf(id.name, id.version);
        const existing = await awsCall(`Greengrass GetComponent ${arn}`, () =>
          client.send(new GetComponentCommand({ arn, recipeOutputFormat: 'JSON' })),
        );
        const theirs = existing.recipe ? (JSON.parse(new TextDecoder().decode(existing.recipe)) as unknown) : undefined;
        if (!sameRecipe(JSON.parse(new TextDecoder().decode(recipe)), theirs)) {
          throw new RolloutError(
            ErrorNames.VersionConflict,
            'COMPONENT_VERSION_EXISTS',
            `${id.name} ${id.version} already exists with a different recipe: component versions are immutable, publish a new model version`,
            { cause: err },
          );
        }
        const described = await describeComponent(arn);
        if (!described) throw err;
        return { ...described, reused: true };
      }
    },
  };
}
