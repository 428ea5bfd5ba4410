/**
 * The real app bundles: esbuild builds every function of the pipeline stack (the other tests skip
 * bundling for speed), PackageModel carries onnxruntime-node's Linux x64 build and the recipe template,
 * and the bundles load and run on Node (failing, as they must without AWS, with a named error).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EnvNames, ErrorNames, StepNames } from '@edgeqc/orchestrator/handlers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipelineStackForSynth } from '../lib/synth.ts';

let outdir: string;
let assetOf: Record<string, string>;

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'edgeqc-infra-bundle-'));
  const stack = pipelineStackForSynth({ bundle: true, outdir });
  const assembly = stack.node.root as unknown as { synth(): { getStackByName(n: string): { template: unknown } } };
  const template = assembly.synth().getStackByName(stack.stackName).template as {
    Resources: Record<string, { Type: string; Properties: { Code?: { S3Key?: unknown } } }>;
  };
  assetOf = {};
  for (const step of Object.values(StepNames)) {
    const logicalId = stack.getLogicalId(
      stack.functions.byStep[step].node.defaultChild as unknown as import('aws-cdk-lib').CfnElement,
    );
    const key = String(template.Resources[logicalId]?.Properties.Code?.S3Key);
    assetOf[step] = join(outdir, `asset.${key.replace(/\.zip$/, '')}`);
  }
}, 240_000);

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('bundling the Lambda functions (the real app)', () => {
  it('builds one ESM bundle per step', () => {
    for (const step of Object.values(StepNames)) expect(existsSync(join(assetOf[step]!, 'index.mjs')), step).toBe(true);
  });

  it('ships onnxruntime-node for Linux x64 and the recipe template with PackageModel only', () => {
    const pkg = assetOf.PackageModel!;
    expect(existsSync(join(pkg, 'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node'))).toBe(
      true,
    );
    expect(existsSync(join(pkg, 'node_modules/onnxruntime-node/bin/napi-v6/win32'))).toBe(false);
    expect(existsSync(join(pkg, 'recipes/model-component.recipe.json'))).toBe(true);
    expect(existsSync(join(assetOf.ResolveModel!, 'node_modules'))).toBe(false);
  });

  it('loads the bundles on Node and fails on bad input with the shared error name', async () => {
    // What the stack sets for PackageModel; no AWS call happens before the input is checked.
    const env = {
      [EnvNames.ArtifactBucket]: 'edgeqc-bundle-test',
      [EnvNames.SigningKeyId]: 'alias/none',
      AWS_REGION: 'eu-west-1',
    };
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    try {
      for (const step of [StepNames.ResolveModel, StepNames.PackageModel]) {
        const mod = (await import(pathToFileURL(join(assetOf[step]!, 'index.mjs')).href)) as {
          handler: (event: unknown) => Promise<unknown>;
        };
        await expect(mod.handler({}), step).rejects.toMatchObject({ name: ErrorNames.InvalidInput });
      }
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it("loads PackageModel's copy of onnxruntime-node (the native Linux x64 binding)", () => {
    const require = createRequire(join(assetOf.PackageModel!, 'index.mjs'));
    const ort = require('onnxruntime-node') as { InferenceSession?: unknown; env?: { versions?: { node?: string } } };
    expect(require.resolve('onnxruntime-node')).toContain(assetOf.PackageModel!);
    expect(typeof ort.InferenceSession).toBe('function');
  });
});
