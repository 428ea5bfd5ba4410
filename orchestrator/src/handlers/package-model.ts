/**
 * PackageModel: fetch the model (and its labels.txt, thresholds.json, self-test images) from S3,
 * validate it, write the manifest, sign it (KMS), upload the immutable artifacts under
 * components/<component>/<version>/ and the rendered recipe. The heavy lifting is model-component's
 * packageModel; this step moves bytes between S3 and a scratch folder.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MANIFEST_FILE,
  modelComponentName,
  parseManifestBytes,
  SIGNATURE_FILE,
} from '@edgeqc/model-component/manifest';
import { packageModel } from '@edgeqc/model-component/package';
import { loadRecipeTemplate, s3ArtifactUri } from '@edgeqc/model-component/recipe';
import { THRESHOLDS_FILE } from '@edgeqc/model-component/thresholds-file';
import type { z } from 'zod';
import { besideModel, labelsOf, selfTestsOf } from '../domain/model-identity.ts';
import { ModelRefSchema, type RolloutState, RolloutStateSchema, StepNames } from '../domain/rollout-state.ts';
import { ErrorNames, RolloutError } from '../errors.ts';
import type { ArtifactStore, ModelRegistry, Signer } from '../ports.ts';
import { awsArtifactStore, awsConfig, awsModelRegistry, awsSigner } from './aws-wiring.ts';
import { required } from './config.ts';
import { defineStep, lambdaEntry } from './step.ts';

export interface PackageModelDeps {
  readonly registry: ModelRegistry;
  readonly store: ArtifactStore;
  readonly signer: Signer;
  readonly bucket: string;
  /** Scratch space. Default: the OS temp folder (Lambda: /tmp). */
  readonly scratchDir?: string;
  readonly now?: () => Date;
  /** Folder of recipes/model-component.recipe.json. Default: the repository's recipes/. */
  readonly recipesDir?: string;
}

const InputSchema = RolloutStateSchema.extend({ model: ModelRefSchema });

export function recipeUriOf(bucket: string, component: string, version: string): string {
  return `s3://${bucket}/recipes/${component}-${version}.json`;
}

/**
 * A version that is already in S3 is brought back into the scratch folder first, so that packageModel
 * finds it: the same model again is then reused byte for byte (a new manifest would differ in its
 * creation time and signature), a different model under the same version is an ImmutableVersionError.
 */
async function seedExistingBundle(store: ArtifactStore, bucket: string, name: string, version: string, outDir: string) {
  const component = modelComponentName(name);
  const uri = (file: string) => s3ArtifactUri(bucket, component, version, file);
  if (!(await store.head(uri(MANIFEST_FILE)))) return false;
  const manifestBytes = await store.get(uri(MANIFEST_FILE));
  const manifest = parseManifestBytes(manifestBytes);
  const dir = join(outDir, 'artifacts', component, version);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, MANIFEST_FILE), manifestBytes);
  for (const file of [manifest.model.file, SIGNATURE_FILE, ...manifest.selfTest.map((t) => t.file)]) {
    await writeFile(join(dir, file), await store.get(uri(file)));
  }
  return true;
}

export function createPackageModelHandler(deps: PackageModelDeps) {
  return defineStep(
    StepNames.PackageModel,
    InputSchema,
    async (input: z.infer<typeof InputSchema>, log): Promise<RolloutState> => {
      const { model } = input;
      const pkg = await deps.registry.describe(model.arn);
      const scratch = await mkdtemp(join(deps.scratchDir ?? tmpdir(), 'edgeqc-package-'));
      try {
        const modelPath = join(scratch, 'model.onnx');
        await writeFile(modelPath, await deps.store.get(model.dataUrl));
        let labels = labelsOf(pkg);
        if (!labels) {
          const uri = besideModel(model.dataUrl, 'labels.txt');
          if (!(await deps.store.head(uri))) {
            throw new RolloutError(
              ErrorNames.ModelInvalid,
              'LABELS_MISSING',
              `model package ${model.arn} has no 'labels' metadata and there is no ${uri}`,
            );
          }
          labels = new TextDecoder()
            .decode(await deps.store.get(uri))
            .split(/\r?\n/)
            .map((l) => l.trim())
            .filter(Boolean);
        }
        // The model's own threshold defaults (publish-model uploads them beside it): packageModel reads
        // thresholds.json beside the model file.
        const thresholdsUri = besideModel(model.dataUrl, THRESHOLDS_FILE);
        if (await deps.store.head(thresholdsUri)) {
          await writeFile(join(scratch, THRESHOLDS_FILE), await deps.store.get(thresholdsUri));
        }
        const selfTest = [];
        for (const t of selfTestsOf(pkg)) {
          const path = join(scratch, t.file);
          await writeFile(path, await deps.store.get(besideModel(model.dataUrl, t.file)));
          selfTest.push({ path, expectedVerdict: t.expectedVerdict });
        }
        const outDir = join(scratch, 'out');
        const existed = await seedExistingBundle(deps.store, deps.bucket, model.name, model.version, outDir);
        const out = await packageModel(
          {
            signer: deps.signer,
            now: deps.now,
            recipeTemplate: deps.recipesDir ? await loadRecipeTemplate('model-component', deps.recipesDir) : undefined,
          },
          {
            modelPath,
            name: model.name,
            version: model.version,
            labels,
            selfTest,
            source: model.arn,
            outDir,
            bucket: deps.bucket,
          },
        );
        let reused = 0;
        for (const f of out.files) {
          const stored = await deps.store.put(f.uri, await readFile(f.path));
          if (stored.reused) reused++;
        }
        const recipeUri = recipeUriOf(deps.bucket, out.component, model.version);
        await deps.store.put(recipeUri, await readFile(out.recipePath), { contentType: 'application/json' });
        log.info(
          { component: out.component, version: model.version, files: out.files.length, reused, existed },
          'packaged',
        );
        return {
          ...input,
          component: {
            name: out.component,
            version: model.version,
            recipeUri,
            modelSha256: out.manifest.model.sha256,
          },
        };
      } finally {
        await rm(scratch, { recursive: true, force: true });
      }
    },
  );
}

export const handler = lambdaEntry(() => {
  const config = awsConfig();
  return createPackageModelHandler({
    registry: awsModelRegistry(),
    store: awsArtifactStore(),
    signer: awsSigner(config),
    bucket: required(config, 'artifactBucket'),
    recipesDir: config.recipesDir,
  });
});
