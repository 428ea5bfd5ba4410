/**
 * `edgeqc publish-model <model.onnx> --group <name>`: register a new model version in the SageMaker
 * Model Registry: upload the model (and labels, its thresholds.json if any, self-test images) to S3
 * under a content-addressed prefix, CreateModelPackage with metadata, approve. The approval starts the rollout (EventBridge).
 *
 * `--from-version <old> --model-version <new>`: a deliberate return to older weights. Devices refuse a
 * version below the highest they accepted (MODEL_ROLLBACK), and re-approving the old package would not
 * pass ResolveModel either; so the old weights come back as a NEW release: a new package with the old
 * package's model file, labels, thresholds and self-tests (the same content-addressed S3 objects, their
 * sha256 checked again) under a version higher than every version of that model in the group.
 * PackageModel then signs a new manifest for it, like any release.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { Command, CommandIo } from '@edgeqc/model-component/cli';
import { compareSemver, ModelNameSchema, SemverSchema } from '@edgeqc/model-component/manifest';
import { readModelThresholds, THRESHOLDS_FILE } from '@edgeqc/model-component/thresholds-file';
import { createS3ArtifactStore } from '../adapters/s3-artifact-store.ts';
import { createSageMakerModelRegistry } from '../adapters/sagemaker-model-registry.ts';
import { MetadataKeys, modelRefOf } from '../domain/model-identity.ts';
import { UsageError } from '../errors.ts';
import { EnvNames } from '../handlers/env.ts';
import type { ArtifactStore, ModelRegistry } from '../ports.ts';
import { clientSettings } from './aws-env.ts';

const HELP = `usage: edgeqc publish-model <model.onnx> --group <model package group> [options]
       edgeqc publish-model --group <group> --from-version <old semver> --model-version <new semver> [options]

Uploads the model to s3://<bucket>/models/<group>/<sha256 prefix>/model.onnx (with labels.txt, the
model's thresholds.json when there is one beside it, and any self-test images), registers it as a new
version of the SageMaker model package group (created when missing), and approves it, which starts
the rollout.

With --from-version, no model file: the weights of that earlier version (its approved package) are
released again under --model-version, which must be higher than every version of the model in the
group (devices refuse a lower one). The rollout signs it anew like any release.

options:
  --bucket <name>            S3 bucket for models (env ${EnvNames.ArtifactBucket})
  --name <model>             model name on the devices (default: the group name)
  --model-version <semver>   component version (default: 1.0.<package version>)
  --from-version <semver>    return to the weights of this earlier version, as a new release
                             (needs --model-version)
  --labels a,b,c             class labels (default: labels.txt beside the model)
  --self-test <img>=<verdict>  self-test image and expected verdict (ok|defect|unclear); repeatable
  --description <text>       model package description
  --no-approve               register only (PendingManualApproval)
  --json                     print the result as JSON
AWS settings come from the usual variables (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL, ...).
`;

export interface PublishModelDeps {
  readonly registry: ModelRegistry;
  readonly store: ArtifactStore;
}

export interface PublishModelOptions {
  readonly modelPath: string;
  readonly group: string;
  readonly bucket: string;
  readonly name?: string;
  readonly modelVersion?: string;
  readonly labels?: readonly string[];
  readonly selfTest?: readonly { path: string; expectedVerdict: string }[];
  readonly description?: string;
  readonly approve: boolean;
}

export interface PublishModelResult {
  readonly modelPackageArn: string;
  readonly version: number;
  readonly modelDataUrl: string;
  readonly sha256: string;
  readonly approved: boolean;
  /** With --from-version: the package whose weights were released again. */
  readonly from?: { readonly modelPackageArn: string; readonly modelVersion: string };
}

export interface ReleaseOlderWeightsOptions {
  readonly group: string;
  /** The earlier model version whose weights come back. */
  readonly fromVersion: string;
  /** The new release's version: higher than every version of the model in the group. */
  readonly modelVersion: string;
  /** The model name (default: the earlier package's). */
  readonly name?: string;
  readonly description?: string;
  readonly approve: boolean;
}

async function readInput(path: string, what: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (cause) {
    throw new UsageError('USAGE', `${what} ${path} cannot be read`, { cause });
  }
}

/** The logic, over ports (tests and the one-machine mode call it directly). */
export async function publishModel(deps: PublishModelDeps, o: PublishModelOptions): Promise<PublishModelResult> {
  if (!/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/.test(o.group)) {
    throw new UsageError('USAGE', `--group '${o.group}': expected letters, digits and hyphens (at most 63)`);
  }
  if (o.name !== undefined && !ModelNameSchema.safeParse(o.name).success) {
    throw new UsageError('USAGE', `--name '${o.name}': expected lower-case letters, digits and dashes`);
  }
  if (o.modelVersion !== undefined && !SemverSchema.safeParse(o.modelVersion).success) {
    throw new UsageError('USAGE', `--model-version '${o.modelVersion}': expected a semantic version such as 1.2.3`);
  }
  const model = await readInput(o.modelPath, 'model file');
  if (model.length === 0) throw new UsageError('USAGE', `model file ${o.modelPath} is empty`);
  const sha256 = createHash('sha256').update(model).digest('hex');
  const prefix = `s3://${o.bucket}/models/${o.group}/${sha256.slice(0, 16)}`;
  const metadata: Record<string, string> = { [MetadataKeys.sha256]: sha256 };
  if (o.name) metadata[MetadataKeys.modelName] = o.name;
  if (o.modelVersion) metadata[MetadataKeys.modelVersion] = o.modelVersion;

  const labels =
    o.labels ??
    (await readFile(join(dirname(o.modelPath), 'labels.txt'), 'utf8').then(
      (t) =>
        t
          .split(/\r?\n/)
          .map((l) => l.trim())
          .filter(Boolean),
      () => undefined,
    ));
  if (!labels || labels.length === 0) {
    throw new UsageError('USAGE', `no labels: give --labels a,b,c or put labels.txt beside ${o.modelPath}`);
  }
  // The model's own threshold defaults travel beside it; PackageModel puts them in the manifest.
  const thresholds = await readModelThresholds(dirname(o.modelPath));
  const selfTests: string[] = [];
  for (const t of o.selfTest ?? []) {
    const file = basename(t.path).replace(/[^A-Za-z0-9._-]/g, '_');
    if (!/\.(jpe?g|png)$/i.test(file) || !['ok', 'defect', 'unclear'].includes(t.expectedVerdict)) {
      throw new UsageError(
        'USAGE',
        `--self-test '${t.path}=${t.expectedVerdict}': expected <image.jpg|png>=<ok|defect|unclear>`,
      );
    }
    await deps.store.put(`${prefix}/${file}`, await readInput(t.path, 'self-test image'));
    selfTests.push(`${file}=${t.expectedVerdict}`);
  }
  if (selfTests.length) metadata[MetadataKeys.selfTest] = selfTests.join(',');

  await deps.store.put(`${prefix}/labels.txt`, new TextEncoder().encode(`${labels.join('\n')}\n`), {
    contentType: 'text/plain',
  });
  if (Object.keys(thresholds).length > 0) {
    await deps.store.put(`${prefix}/${THRESHOLDS_FILE}`, new TextEncoder().encode(`${JSON.stringify(thresholds)}\n`), {
      contentType: 'application/json',
    });
  }
  const modelDataUrl = `${prefix}/model.onnx`;
  await deps.store.put(modelDataUrl, model);
  const pkg = await deps.registry.register({ group: o.group, modelDataUrl, description: o.description, metadata });
  if (o.approve) await deps.registry.approve(pkg.arn, 'approved by edgeqc publish-model');
  return { modelPackageArn: pkg.arn, version: pkg.version, modelDataUrl, sha256, approved: o.approve };
}

/**
 * A deliberate return to older weights (`--from-version`): a new package with the earlier version's
 * model and files, under a higher version. Nothing is uploaded: the objects are content-addressed and
 * already stored; the model's sha256 is checked against the earlier package's before it is reused.
 */
export async function releaseOlderWeights(
  deps: PublishModelDeps,
  o: ReleaseOlderWeightsOptions,
): Promise<PublishModelResult> {
  for (const [flag, value] of [
    ['--from-version', o.fromVersion],
    ['--model-version', o.modelVersion],
  ] as const) {
    if (!SemverSchema.safeParse(value).success) {
      throw new UsageError('USAGE', `${flag} '${value}': expected a semantic version such as 1.2.3`);
    }
  }
  const packages = await deps.registry.list(o.group);
  const refs = packages.flatMap((pkg) => {
    try {
      return [{ pkg, ref: modelRefOf(pkg) }];
    } catch {
      return []; // a package with unusable metadata is neither a source nor a version to beat
    }
  });
  const name = o.name ?? refs.find((r) => r.ref.version === o.fromVersion)?.ref.name;
  const source = refs.find(
    (r) => r.ref.version === o.fromVersion && r.ref.name === name && r.pkg.approvalStatus === 'Approved',
  );
  if (name === undefined || source === undefined) {
    throw new UsageError(
      'USAGE',
      `--from-version ${o.fromVersion}: no approved package of that version${o.name ? ` of model ${o.name}` : ''} in group ${o.group} (versions there: ${[...new Set(refs.map((r) => r.ref.version))].join(', ') || 'none'})`,
    );
  }
  const highest = refs
    .filter((r) => r.ref.name === name)
    .map((r) => r.ref.version)
    .sort(compareSemver)
    .at(-1) as string;
  if (compareSemver(o.modelVersion, highest) <= 0) {
    throw new UsageError(
      'USAGE',
      `--model-version ${o.modelVersion}: expected a version above ${highest}, the highest of ${name} in group ${o.group} (devices refuse a version below the highest they accepted)`,
    );
  }
  const expectedSha = source.pkg.metadata[MetadataKeys.sha256];
  const model = await deps.store.get(source.ref.dataUrl);
  const sha256 = createHash('sha256').update(model).digest('hex');
  if (expectedSha !== undefined && expectedSha !== sha256) {
    throw new UsageError(
      'USAGE',
      `${source.ref.dataUrl} has sha256 ${sha256}, but package ${source.pkg.arn} registered ${expectedSha}: the stored model changed, it is not released again`,
    );
  }
  const metadata: Record<string, string> = {
    ...source.pkg.metadata,
    [MetadataKeys.modelName]: name,
    [MetadataKeys.modelVersion]: o.modelVersion,
    [MetadataKeys.sha256]: sha256,
  };
  const pkg = await deps.registry.register({
    group: o.group,
    modelDataUrl: source.ref.dataUrl,
    description:
      o.description ??
      `${name} ${o.modelVersion}: the weights of ${o.fromVersion} (${source.pkg.arn}) released again under a higher version`,
    metadata,
  });
  if (o.approve) {
    await deps.registry.approve(pkg.arn, `approved by edgeqc publish-model --from-version ${o.fromVersion}`);
  }
  return {
    modelPackageArn: pkg.arn,
    version: pkg.version,
    modelDataUrl: source.ref.dataUrl,
    sha256,
    approved: o.approve,
    from: { modelPackageArn: source.pkg.arn, modelVersion: o.fromVersion },
  };
}

async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  function parse() {
    return parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        group: { type: 'string' },
        bucket: { type: 'string' },
        name: { type: 'string' },
        'model-version': { type: 'string' },
        'from-version': { type: 'string' },
        labels: { type: 'string' },
        'self-test': { type: 'string', multiple: true },
        description: { type: 'string' },
        'no-approve': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
  }
  try {
    parsed = parse();
  } catch (err) {
    io.stderr.write(`${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  try {
    const fromVersion = values['from-version'];
    if (fromVersion !== undefined) {
      if (positionals.length !== 0) {
        throw new UsageError(
          'USAGE',
          `--from-version takes the earlier version's model: expected no model file, got ${positionals.join(' ')}`,
        );
      }
      if (!values['model-version']) {
        throw new UsageError('USAGE', '--from-version needs --model-version <semver> (the new, higher version)');
      }
      for (const flag of ['labels', 'self-test'] as const) {
        if (values[flag] !== undefined && values[flag].length > 0) {
          throw new UsageError(
            'USAGE',
            `--${flag} cannot be given with --from-version (the earlier version's are used)`,
          );
        }
      }
    } else if (positionals.length !== 1) {
      throw new UsageError('USAGE', `expected one model file, got ${positionals.length}`);
    }
    if (!values.group) throw new UsageError('USAGE', '--group <model package group> is required');
    const settings = clientSettings(io.env);
    const registry = createSageMakerModelRegistry(new SageMakerClient(settings));
    const store = createS3ArtifactStore(new S3Client({ ...settings, forcePathStyle: settings.endpoint !== undefined }));
    if (fromVersion !== undefined) {
      const result = await releaseOlderWeights(
        { registry, store },
        {
          group: values.group,
          fromVersion,
          modelVersion: values['model-version'] as string,
          name: values.name,
          description: values.description,
          approve: !values['no-approve'],
        },
      );
      io.stdout.write(
        values.json
          ? `${JSON.stringify(result)}\n`
          : `registered ${result.modelPackageArn} (version ${result.version}, sha256 ${result.sha256}): the weights of ${fromVersion} released again as ${values['model-version']}\n${result.approved ? 'approved: the rollout starts now; follow it with `edgeqc rollout status --follow`' : 'not approved (--no-approve)'}\n`,
      );
      return 0;
    }
    const bucket = values.bucket ?? io.env[EnvNames.ArtifactBucket];
    if (!bucket) throw new UsageError('USAGE', `--bucket <name> is required (or set ${EnvNames.ArtifactBucket})`);
    const deps: PublishModelDeps = { registry, store };
    const result = await publishModel(deps, {
      modelPath: positionals[0]!,
      group: values.group,
      bucket,
      name: values.name,
      modelVersion: values['model-version'],
      labels: values.labels
        ?.split(',')
        .map((l) => l.trim())
        .filter(Boolean),
      selfTest: (values['self-test'] ?? []).map((s) => {
        const at = s.lastIndexOf('=');
        return { path: at > 0 ? s.slice(0, at) : s, expectedVerdict: at > 0 ? s.slice(at + 1) : '' };
      }),
      description: values.description,
      approve: !values['no-approve'],
    });
    io.stdout.write(
      values.json
        ? `${JSON.stringify(result)}\n`
        : `registered ${result.modelPackageArn} (version ${result.version}, sha256 ${result.sha256})\n${result.approved ? 'approved: the rollout starts now; follow it with `edgeqc rollout status --follow`' : 'not approved (--no-approve)'}\n`,
    );
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`publish-model: ${err.message}\n`);
      return 2;
    }
    io.stderr.write(`publish-model failed: ${(err as Error).name}: ${(err as Error).message}\n`);
    return 1;
  }
}

export const publishModelCommand: Command = {
  name: 'publish-model',
  summary: 'register an ONNX model in the SageMaker Model Registry and approve it (starts the rollout)',
  run,
};
