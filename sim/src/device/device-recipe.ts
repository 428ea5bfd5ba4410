/**
 * The part of a Greengrass recipe a simulated core device reads: dependencies, default configuration,
 * the Linux manifest's artifacts and lifecycle (Setenv, Install, Startup, Run, Shutdown). Looser than the
 * recipes we emit (model-component's RecipeSchema) so that hand-written test recipes parse too.
 */
import { z } from 'zod';
import { LocalDeviceError } from '../errors.ts';

const StepSchema = z.union([
  z
    .string()
    .min(1)
    .transform((Script) => ({ Script })),
  z.object({
    Script: z.string().min(1),
    Timeout: z.number().int().positive().optional(),
    Setenv: z.record(z.string(), z.string()).optional(),
    RequiresPrivilege: z.boolean().optional(),
  }),
]);
export type LifecycleStep = z.infer<typeof StepSchema>;

export const DeviceLifecycleSchema = z.object({
  Setenv: z.record(z.string(), z.string()).optional(),
  Install: StepSchema.optional(),
  Startup: StepSchema.optional(),
  Run: StepSchema.optional(),
  Shutdown: StepSchema.optional(),
});
export type DeviceLifecycle = z.infer<typeof DeviceLifecycleSchema>;

export const DeviceArtifactSchema = z.object({
  Uri: z.string().min(1),
  Digest: z.string().optional(),
  Algorithm: z.literal('SHA-256').optional(),
  Unarchive: z.enum(['NONE', 'ZIP']).default('NONE'),
  Permission: z
    .object({ Read: z.string().optional(), Execute: z.enum(['NONE', 'OWNER', 'ALL']).optional() })
    .optional(),
});
export type DeviceArtifact = z.infer<typeof DeviceArtifactSchema>;

export const DeviceRecipeSchema = z.object({
  RecipeFormatVersion: z.string(),
  ComponentName: z.string().min(1),
  ComponentVersion: z.string().min(1),
  ComponentConfiguration: z.object({ DefaultConfiguration: z.record(z.string(), z.unknown()).default({}) }).optional(),
  ComponentDependencies: z
    .record(
      z.string(),
      z.object({
        VersionRequirement: z.string().default('*'),
        DependencyType: z.enum(['HARD', 'SOFT']).default('HARD'),
      }),
    )
    .optional(),
  Manifests: z
    .array(
      z.object({
        Platform: z.object({ os: z.string().optional() }).loose().optional(),
        Lifecycle: DeviceLifecycleSchema.optional(),
        Artifacts: z.array(DeviceArtifactSchema).optional(),
      }),
    )
    .min(1),
});
export type DeviceRecipe = z.infer<typeof DeviceRecipeSchema>;

/** What the device uses of a recipe: its Linux manifest picked, defaults filled. */
export interface ComponentRecipe {
  readonly name: string;
  readonly version: string;
  readonly defaults: Readonly<Record<string, unknown>>;
  readonly dependencies: Readonly<Record<string, { readonly requirement: string; readonly type: 'HARD' | 'SOFT' }>>;
  readonly artifacts: readonly DeviceArtifact[];
  readonly lifecycle: DeviceLifecycle;
}

export function parseDeviceRecipe(raw: unknown, where: string): ComponentRecipe {
  const parsed = DeviceRecipeSchema.safeParse(raw);
  if (!parsed.success) {
    throw new LocalDeviceError('RECIPE_INVALID', `${where}: not a Greengrass recipe: ${z.prettifyError(parsed.error)}`);
  }
  const r = parsed.data;
  const arch = process.arch === 'arm64' ? 'aarch64' : 'amd64';
  const fits = (p: Record<string, unknown> | undefined) =>
    (!p?.os || p.os === 'linux' || p.os === '*') &&
    (!p?.architecture || p.architecture === arch || p.architecture === '*');
  const manifest = r.Manifests.find((m) => fits(m.Platform));
  if (!manifest) throw new LocalDeviceError('RECIPE_PLATFORM', `${where}: no manifest for linux/${arch}`);
  return {
    name: r.ComponentName,
    version: r.ComponentVersion,
    defaults: r.ComponentConfiguration?.DefaultConfiguration ?? {},
    dependencies: Object.fromEntries(
      Object.entries(r.ComponentDependencies ?? {}).map(([n, d]) => [
        n,
        { requirement: d.VersionRequirement, type: d.DependencyType },
      ]),
    ),
    artifacts: manifest.Artifacts ?? [],
    lifecycle: manifest.Lifecycle ?? {},
  };
}
