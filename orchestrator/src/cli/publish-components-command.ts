/**
 * `edgeqc publish-components <out dir>`: put GDK-style packaging output (package-agent, package-model:
 * `<out>/recipes/*.json` and `<out>/artifacts/<component>/<version>/<file>`) into AWS: every artifact
 * to the S3 URI its recipe names (immutable: the same bytes are reused, other bytes refused), then
 * CreateComponentVersion (an identical existing version is reused), then wait for DEPLOYABLE.
 * This is how the inference component reaches Greengrass before a rollout deploys it.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { GreengrassV2Client } from '@aws-sdk/client-greengrassv2';
import { S3Client } from '@aws-sdk/client-s3';
import type { Command, CommandIo } from '@edgeqc/model-component/cli';
import { componentVersionArn, createGreengrassComponentCatalog } from '../adapters/greengrass-component-catalog.ts';
import { createS3ArtifactStore } from '../adapters/s3-artifact-store.ts';
import { ErrorNames, RolloutError, UsageError } from '../errors.ts';
import { EnvNames } from '../handlers/env.ts';
import type { ArtifactStore, ComponentCatalog } from '../ports.ts';
import { clientSettings } from './aws-env.ts';

const HELP = `usage: edgeqc publish-components <packaging output dir> [--account <id>] [--json]

Uploads every artifact of every recipe in <dir>/recipes/ from <dir>/artifacts/<component>/<version>/
to the S3 URI in the recipe, creates the Greengrass component versions and waits until they are
DEPLOYABLE. Run it after package-agent (and set ${EnvNames.InferenceComponentVersion}).
  --account <id>   AWS account id, to reuse an existing identical version (env ${EnvNames.AccountId})
`;

export interface PublishComponentsDeps {
  readonly store: ArtifactStore;
  readonly catalog: ComponentCatalog;
  /** Pause between DescribeComponent checks. Default 2000 ms. */
  readonly pollMs?: number;
  /** Checks before giving up. Default 60. */
  readonly maxChecks?: number;
}

export interface PublishedComponent {
  readonly name: string;
  readonly version: string;
  readonly arn: string;
  readonly artifacts: number;
  readonly reused: boolean;
}

interface RecipeShape {
  ComponentName?: unknown;
  ComponentVersion?: unknown;
  Manifests?: { Artifacts?: { Uri?: unknown; Digest?: unknown }[] }[];
}

export async function publishComponents(deps: PublishComponentsDeps, outDir: string): Promise<PublishedComponent[]> {
  const recipesDir = join(outDir, 'recipes');
  const files = await readdir(recipesDir).catch((cause: unknown) => {
    throw new UsageError(
      'USAGE',
      `${recipesDir} cannot be read: expected packaging output (package-agent --out <dir>)`,
      { cause },
    );
  });
  const recipes = files.filter((f) => f.endsWith('.json')).sort();
  if (recipes.length === 0) throw new UsageError('USAGE', `no recipes (*.json) in ${recipesDir}`);
  const out: PublishedComponent[] = [];
  for (const file of recipes) {
    const bytes = await readFile(join(recipesDir, file));
    let recipe: RecipeShape;
    try {
      recipe = JSON.parse(new TextDecoder().decode(bytes)) as RecipeShape;
    } catch (cause) {
      throw new UsageError('USAGE', `recipe ${file} is not JSON`, { cause });
    }
    const name = recipe.ComponentName;
    const version = recipe.ComponentVersion;
    if (typeof name !== 'string' || typeof version !== 'string') {
      throw new UsageError('USAGE', `recipe ${file} has no ComponentName/ComponentVersion`);
    }
    const uploaded = new Set<string>();
    for (const artifact of (recipe.Manifests ?? []).flatMap((m) => m.Artifacts ?? [])) {
      const uri = String(artifact.Uri);
      if (uploaded.has(uri)) continue;
      const local = join(outDir, 'artifacts', name, version, uri.slice(uri.lastIndexOf('/') + 1));
      const data = await readFile(local).catch((cause: unknown) => {
        throw new UsageError('USAGE', `artifact ${uri} of ${name} ${version}: ${local} cannot be read`, { cause });
      });
      if (typeof artifact.Digest === 'string') {
        const digest = createHash('sha256').update(data).digest('base64');
        if (digest !== artifact.Digest) {
          throw new RolloutError(
            ErrorNames.VersionConflict,
            'ARTIFACT_DIGEST',
            `${local} does not match the Digest of ${uri} in ${file} (${digest} vs ${artifact.Digest}): repackage`,
          );
        }
      }
      await deps.store.put(uri, data);
      uploaded.add(uri);
    }
    const created = await deps.catalog.createComponentVersion(bytes);
    let state = created.state;
    for (let i = 0; state !== 'DEPLOYABLE'; i++) {
      if (state === 'FAILED' || state === 'DEPRECATED') {
        throw new RolloutError(
          ErrorNames.ComponentFailed,
          state,
          `${name} ${version} is ${state}: ${created.message ?? ''}`,
        );
      }
      if (i >= (deps.maxChecks ?? 60)) {
        throw new RolloutError(ErrorNames.ComponentTimeout, 'NOT_DEPLOYABLE', `${name} ${version} is still ${state}`);
      }
      await sleep(deps.pollMs ?? 2000);
      state = (await deps.catalog.describeComponent(created.arn))?.state ?? 'REQUESTED';
    }
    out.push({ name, version, arn: created.arn, artifacts: uploaded.size, reused: created.reused });
  }
  return out;
}

async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  let values: { account?: string; json?: boolean; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        account: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    io.stderr.write(`${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  try {
    if (positionals.length !== 1)
      throw new UsageError('USAGE', `expected one packaging output folder, got ${positionals.length}`);
    const settings = clientSettings(io.env);
    const account = values.account ?? io.env[EnvNames.AccountId];
    const region = settings.region ?? io.env.AWS_DEFAULT_REGION ?? 'us-east-1';
    const deps: PublishComponentsDeps = {
      store: createS3ArtifactStore(new S3Client({ ...settings, forcePathStyle: settings.endpoint !== undefined })),
      catalog: createGreengrassComponentCatalog(new GreengrassV2Client(settings), {
        arnOf: (n, v) => {
          if (!account) {
            throw new UsageError(
              'USAGE',
              `${n} ${v} already exists: give --account <id> (or ${EnvNames.AccountId}) to reuse it`,
            );
          }
          return componentVersionArn(region, account, n, v);
        },
      }),
    };
    const published = await publishComponents(deps, positionals[0]!);
    io.stdout.write(
      values.json
        ? `${JSON.stringify(published)}\n`
        : published
            .map(
              (p) => `${p.reused ? 'reused ' : 'created'} ${p.name} ${p.version} (${p.artifacts} artifacts) ${p.arn}\n`,
            )
            .join(''),
    );
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`publish-components: ${err.message}\n`);
      return 2;
    }
    io.stderr.write(`publish-components failed: ${(err as Error).name}: ${(err as Error).message}\n`);
    return 1;
  }
}

export const publishComponentsCommand: Command = {
  name: 'publish-components',
  summary: 'upload packaging output (e.g. package-agent) to S3 and create the Greengrass component versions',
  run,
};
