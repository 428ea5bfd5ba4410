/**
 * packageAgent: the inference component's artifact per platform (bundled agent + run-time packages
 * with only that platform's native binaries, one ZIP), the Node runtime component's artifact, and
 * both recipes, GDK-style:
 *   <out>/artifacts/com.edgeqc.Inference/<version>/edgeqc-agent-<platform>.zip
 *   <out>/artifacts/com.edgeqc.NodeRuntime/<node version>/node-<platform>.zip
 *   <out>/recipes/com.edgeqc.Inference-<version>.json, com.edgeqc.NodeRuntime-<node version>.json
 * Recipes list every platform whose archive is in the version folder, so packaging linux-x64 and then
 * linux-arm64 into the same folder yields one recipe with both. Archives are deterministic; an
 * existing archive with different bytes is an error (component versions are immutable).
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_ARTIFACT_BUCKET, loadRecipeTemplate } from '@edgeqc/model-component/recipe';
import { SESSION_WORKER_BUNDLE_NAME } from '../adapters/onnx-worker-protocol.ts';
import { AWS_CRT_BINARY, bundleAgent } from './bundle-agent.ts';
import {
  agentArchiveName,
  INFERENCE_COMPONENT,
  NODE_RUNTIME_COMPONENT,
  type PlatformArtifact,
  renderInferenceRecipe,
  renderNodeRuntimeRecipe,
  runtimeArchiveName,
} from './component-recipes.ts';
import { locateNodeBinary, nodeRuntimeZipInputs } from './node-runtime.ts';
import { createPackageLocator } from './npm-packages.ts';
import { PackagingError } from './packaging-error.ts';
import { nodeArch, PLATFORMS, type Platform } from './platform.ts';
import { resolveRuntimePackages, runtimePackageFiles } from './runtime-packages.ts';
import { writeZip, type ZipInput } from './zip.ts';

export interface PackageAgentDeps {
  /** Validates the agent configuration put into the recipe (the agent's own schema) and returns it. */
  readonly validateConfig: (raw: unknown) => Record<string, unknown>;
}

export interface PackageAgentOptions {
  readonly platforms: readonly Platform[];
  readonly outDir: string;
  /** Repository root (node_modules, recipes/, edge-component/). */
  readonly projectRoot: string;
  /** Inference component version. Default: edge-component/package.json's version. */
  readonly version?: string;
  /** Agent entry. Default: edge-component/src/main.ts. */
  readonly entry?: string;
  readonly bucket?: string;
  /** Model the agent depends on (HARD). Default tag-scratch, requirement >=0.1.0. */
  readonly modelName?: string;
  readonly modelVersionRequirement?: string;
  /** Raw agent configuration for DefaultConfiguration (validated by deps.validateConfig). Default {}. */
  readonly agentConfig?: unknown;
  /** Node version of the runtime component. Default: the version running this packager. */
  readonly nodeVersion?: string;
  /** Also package com.edgeqc.NodeRuntime. Default true. */
  readonly withRuntime?: boolean;
  /** Fetch other platforms' packages with npm pack (default true). */
  readonly fetch?: boolean;
}

export interface PackagedArtifact {
  readonly component: string;
  readonly version: string;
  readonly platform: Platform;
  readonly path: string;
  readonly sizeBytes: number;
  readonly sha256: string;
  /** Total size of the files inside. */
  readonly unpackedBytes: number;
  readonly reused: boolean;
}

export interface PackageAgentResult {
  readonly artifacts: readonly PackagedArtifact[];
  readonly inferenceRecipePath: string;
  readonly runtimeRecipePath?: string;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Writes a ZIP atomically; an existing one with other bytes is an immutability error. */
async function placeArchive(
  component: string,
  version: string,
  platform: Platform,
  dir: string,
  name: string,
  inputs: readonly ZipInput[],
): Promise<PackagedArtifact> {
  await mkdir(dir, { recursive: true });
  const final = join(dir, name);
  const tmp = join(dir, `.${name}.${process.pid}.tmp`);
  try {
    const { sizeBytes, entries } = await writeZip(tmp, inputs);
    const digest = sha256(await readFile(tmp));
    const unpackedBytes = entries.reduce((s, e) => s + e.size, 0);
    const existing = await readFile(final).catch(() => undefined);
    if (existing) {
      if (sha256(existing) !== digest) {
        throw new PackagingError(
          'VERSION_EXISTS',
          `${component} ${version} already has ${name} with different content: bump the version (component versions are immutable)`,
        );
      }
      return { component, version, platform, path: final, sizeBytes, sha256: digest, unpackedBytes, reused: true };
    }
    await rename(tmp, final);
    return { component, version, platform, path: final, sizeBytes, sha256: digest, unpackedBytes, reused: false };
  } finally {
    await rm(tmp, { force: true });
  }
}

/** Platform archives already in a version folder (for the recipe). */
async function platformsIn(dir: string, nameOf: (p: Platform) => string): Promise<PlatformArtifact[]> {
  const names = new Set(await readdir(dir).catch(() => [] as string[]));
  const out: PlatformArtifact[] = [];
  for (const platform of PLATFORMS) {
    const name = nameOf(platform);
    if (names.has(name)) out.push({ platform, file: { name, sha256: sha256(await readFile(join(dir, name))) } });
  }
  return out;
}

export async function packageAgent(deps: PackageAgentDeps, options: PackageAgentOptions): Promise<PackageAgentResult> {
  if (options.platforms.length === 0)
    throw new PackagingError('NO_PLATFORM', 'no platform given: expected linux-x64 and/or linux-arm64');
  const root = options.projectRoot;
  const nodeModules = join(root, 'node_modules');
  const edgePkg = JSON.parse(await readFile(join(root, 'edge-component', 'package.json'), 'utf8')) as {
    version: string;
  };
  const version = options.version ?? edgePkg.version;
  const nodeVersion = options.nodeVersion ?? process.versions.node;
  const bucket = options.bucket ?? DEFAULT_ARTIFACT_BUCKET;
  const entry = options.entry ?? join(root, 'edge-component', 'src', 'main.ts');
  await stat(entry).catch((cause: unknown) => {
    throw new PackagingError('ENTRY_MISSING', `agent entry ${entry} does not exist`, { cause });
  });
  const agentConfig = deps.validateConfig(options.agentConfig ?? {});
  const recipeInputs = {
    inference: await loadRecipeTemplate('inference-component'),
    runtime: await loadRecipeTemplate('node-runtime-component'),
  };
  const locate = createPackageLocator({
    nodeModules: [nodeModules],
    cacheDir: join(root, '.work', 'npm-packs'),
    fetch: options.fetch,
  });

  const bundled = await bundleAgent(
    {
      main: entry,
      'native-check': join(root, 'edge-component', 'src', 'packaging', 'native-check.ts'),
      // The detector's worker thread, found beside main.js (adapters/onnx-worker-detector.ts).
      [SESSION_WORKER_BUNDLE_NAME]: join(root, 'edge-component', 'src', 'adapters', 'onnx-session-worker.ts'),
    },
    root,
  );
  const artifacts: PackagedArtifact[] = [];
  const agentDir = join(options.outDir, 'artifacts', INFERENCE_COMPONENT, version);
  const runtimeDir = join(options.outDir, 'artifacts', NODE_RUNTIME_COMPONENT, nodeVersion);
  for (const platform of options.platforms) {
    const packages = await resolveRuntimePackages(platform, locate, nodeModules);
    const crtBinary = join(
      nodeModules,
      'aws-crt',
      'dist',
      'bin',
      `linux-${nodeArch(platform)}-glibc`,
      'aws-crt-nodejs.node',
    );
    await stat(crtBinary).catch((cause: unknown) => {
      throw new PackagingError(
        'PACKAGE_MISSING',
        `aws-crt has no native binary for linux-${nodeArch(platform)}-glibc`,
        { cause },
      );
    });
    const inputs: ZipInput[] = [
      {
        name: 'package.json',
        data: new TextEncoder().encode(
          `${JSON.stringify({ name: 'edgeqc-agent', version, private: true, type: 'module' }, null, 2)}\n`,
        ),
      },
      ...bundled.map((f) => ({ name: f.name, data: f.bytes })),
      { name: AWS_CRT_BINARY, data: { path: crtBinary }, mode: 0o755 },
      ...(await runtimePackageFiles(platform, packages)),
    ];
    artifacts.push(
      await placeArchive(INFERENCE_COMPONENT, version, platform, agentDir, agentArchiveName(platform), inputs),
    );
    if (options.withRuntime !== false) {
      const binary = await locateNodeBinary(platform, nodeVersion, locate, join(nodeModules, 'node', 'bin', 'node'));
      artifacts.push(
        await placeArchive(
          NODE_RUNTIME_COMPONENT,
          nodeVersion,
          platform,
          runtimeDir,
          runtimeArchiveName(platform),
          nodeRuntimeZipInputs(binary),
        ),
      );
    }
  }

  const recipesDir = join(options.outDir, 'recipes');
  await mkdir(recipesDir, { recursive: true });
  const inference = renderInferenceRecipe({
    template: recipeInputs.inference,
    version,
    bucket,
    platforms: await platformsIn(agentDir, agentArchiveName),
    modelName: options.modelName ?? 'tag-scratch',
    modelVersionRequirement: options.modelVersionRequirement ?? '>=0.1.0',
    runtimeVersion: nodeVersion,
    agentConfig,
  });
  const inferenceRecipePath = join(recipesDir, `${INFERENCE_COMPONENT}-${version}.json`);
  await writeFile(inferenceRecipePath, inference.bytes);
  let runtimeRecipePath: string | undefined;
  if (options.withRuntime !== false) {
    const runtime = renderNodeRuntimeRecipe({
      template: recipeInputs.runtime,
      version: nodeVersion,
      bucket,
      platforms: await platformsIn(runtimeDir, runtimeArchiveName),
    });
    runtimeRecipePath = join(recipesDir, `${NODE_RUNTIME_COMPONENT}-${nodeVersion}.json`);
    await writeFile(runtimeRecipePath, runtime.bytes);
  }
  return { artifacts, inferenceRecipePath, runtimeRecipePath };
}
