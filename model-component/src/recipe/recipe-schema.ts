/**
 * The project's own schema of the Greengrass recipes it emits (a strict subset of the recipe format):
 * what we render must parse here, and also against the Greengrass Development Kit's schema (tests).
 */
import { z } from 'zod';
import { RecipeError } from '../errors.ts';
import { SemverSchema } from '../manifest.ts';

/** Greengrass (and GDK) refuse recipes larger than this. */
export const MAX_RECIPE_BYTES = 16_000;

export const ComponentNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'expected a component name such as com.edgeqc.Inference');

export const S3UriSchema = z
  .string()
  .regex(
    /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/components\/[^/]+\/[^/]+\/[^/]+$/,
    'expected s3://<bucket>/components/<component>/<version>/<file>',
  );

export const RecipeArtifactSchema = z.strictObject({
  Uri: S3UriSchema,
  Digest: z.base64().length(44).describe('Base64 SHA-256 of the artifact.'),
  Algorithm: z.literal('SHA-256'),
  Unarchive: z.enum(['NONE', 'ZIP']),
  Permission: z.strictObject({ Read: z.enum(['NONE', 'OWNER', 'ALL']), Execute: z.enum(['NONE', 'OWNER', 'ALL']) }),
});
export type RecipeArtifact = z.infer<typeof RecipeArtifactSchema>;

const LifecycleStepSchema = z.strictObject({
  Script: z.string().min(1).max(4096),
  Timeout: z.number().int().positive().max(3600).optional(),
  RequiresPrivilege: z.boolean().optional(),
  Setenv: z.record(z.string(), z.string()).optional(),
});

export const RecipeLifecycleSchema = z.strictObject({
  Setenv: z.record(z.string(), z.string()).optional(),
  Install: LifecycleStepSchema.optional(),
  Run: LifecycleStepSchema.optional(),
  Shutdown: LifecycleStepSchema.optional(),
});

export const RecipeSchema = z.strictObject({
  RecipeFormatVersion: z.literal('2020-01-25'),
  ComponentName: ComponentNameSchema,
  ComponentVersion: SemverSchema,
  ComponentType: z.literal('aws.greengrass.generic').optional(),
  ComponentDescription: z.string().min(1).max(1024),
  ComponentPublisher: z.string().min(1).max(128),
  ComponentConfiguration: z.strictObject({ DefaultConfiguration: z.record(z.string(), z.unknown()) }).optional(),
  ComponentDependencies: z
    .record(
      ComponentNameSchema,
      z.strictObject({ VersionRequirement: z.string().min(1).max(128), DependencyType: z.enum(['HARD', 'SOFT']) }),
    )
    .optional(),
  Manifests: z
    .array(
      z.strictObject({
        Platform: z.strictObject({ os: z.literal('linux'), architecture: z.enum(['amd64', 'aarch64']).optional() }),
        Lifecycle: RecipeLifecycleSchema,
        Artifacts: z.array(RecipeArtifactSchema).min(1).max(32),
      }),
    )
    .min(1),
});
export type Recipe = z.infer<typeof RecipeSchema>;

/** Validates a rendered recipe and returns its file bytes (pretty JSON, final newline), within size. */
export function recipeBytes(recipe: unknown): { recipe: Recipe; bytes: Uint8Array } {
  const parsed = RecipeSchema.safeParse(recipe);
  if (!parsed.success) {
    throw new RecipeError('RECIPE_INVALID', `rendered recipe is invalid: ${z.prettifyError(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  const bytes = new TextEncoder().encode(`${JSON.stringify(parsed.data, null, 2)}\n`);
  if (bytes.length > MAX_RECIPE_BYTES) {
    throw new RecipeError(
      'RECIPE_TOO_LARGE',
      `recipe ${parsed.data.ComponentName} is ${bytes.length} bytes: Greengrass allows ${MAX_RECIPE_BYTES}`,
    );
  }
  return { recipe: parsed.data, bytes };
}
