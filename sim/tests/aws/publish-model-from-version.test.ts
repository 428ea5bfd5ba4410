/**
 * `edgeqc publish-model --from-version`: a deliberate return to older weights as a new, higher release,
 * against moto_server (started here) for S3 and the SageMaker model registry; PackageModel then signs
 * a new manifest for it (a local Ed25519 key: the KMS signer is tested in kms-signer.test.ts).
 *
 * moto 5.2's UpdateModelPackage drops a package's CustomerMetadataProperties when it approves it (and
 * resets the approval when only the metadata is sent; checked here), where SageMaker keeps them. The
 * releases are therefore made through the command's functions over a registry whose approve sends the
 * metadata again with the approval; the command line itself is tested for its input checks.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient, UpdateModelPackageCommand } from '@aws-sdk/client-sagemaker';
import { parseManifestBytes } from '@edgeqc/model-component/manifest';
import {
  decodeSignature,
  parsePublicKeyPem,
  trustedKey,
  verifyManifestSignature,
} from '@edgeqc/model-component/signature';
import { createPemSigner, generateDevKeyPair } from '@edgeqc/model-component/signers';
import { createS3ArtifactStore } from '@edgeqc/orchestrator/adapters/s3-artifact-store';
import { createSageMakerModelRegistry } from '@edgeqc/orchestrator/adapters/sagemaker-model-registry';
import { publishModel, publishModelCommand, releaseOlderWeights } from '@edgeqc/orchestrator/cli/publish-model-command';
import { createPackageModelHandler, createResolveModelHandler } from '@edgeqc/orchestrator/handler-factories';
import type { ModelRegistry } from '@edgeqc/orchestrator/ports';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MotoServer, startMotoServer } from '../../src/aws/moto-server.ts';
import { DEMO_MODEL_DIR } from '../../src/project-root.ts';
import { captureIo } from '../support/capture-io.ts';

const INT8 = join(DEMO_MODEL_DIR, 'model.int8.onnx');
const FP32 = join(DEMO_MODEL_DIR, 'model.fp32.onnx');
const BUCKET = 'edgeqc-from-version-test';
const GROUP = 'tag-scratch';
const sha256 = async (path: string) =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex');

let moto: MotoServer;
let s3: S3Client;
let sagemaker: SageMakerClient;

beforeAll(async () => {
  moto = await startMotoServer();
  s3 = new S3Client({ ...moto.config, forcePathStyle: true });
  sagemaker = new SageMakerClient(moto.config);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
}, 60_000);

afterAll(async () => {
  await moto?.stop();
});

/** The moto-backed registry, its approve keeping the metadata as SageMaker does (see above). */
const registry = (): ModelRegistry => {
  const inner = createSageMakerModelRegistry(sagemaker);
  return {
    ...inner,
    async approve(arn, description) {
      const { metadata } = await inner.describe(arn);
      await sagemaker.send(
        new UpdateModelPackageCommand({
          ModelPackageArn: arn,
          ModelApprovalStatus: 'Approved',
          ApprovalDescription: description,
          CustomerMetadataProperties: { ...metadata },
        }),
      );
    },
  };
};
const deps = () => ({ registry: registry(), store: createS3ArtifactStore(s3) });

async function publish(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo({ ...moto.env });
  const code = await publishModelCommand.run(['--group', GROUP, '--bucket', BUCKET, ...args], io.io);
  return { code, out: io.out(), err: io.err() };
}

describe('publish-model --from-version (moto_server: S3 and SageMaker)', () => {
  let v1: { modelPackageArn: string; modelDataUrl: string; sha256: string };

  beforeAll(async () => {
    const base = { group: GROUP, bucket: BUCKET, name: 'tag-scratch', approve: true };
    v1 = await publishModel(deps(), { ...base, modelPath: INT8, modelVersion: '1.0.0' });
    await publishModel(deps(), { ...base, modelPath: FP32, modelVersion: '2.0.0' });
  }, 60_000);

  const release = (fromVersion: string, modelVersion: string) =>
    releaseOlderWeights(deps(), { group: GROUP, fromVersion, modelVersion, approve: true }).then(
      (result) => ({ result, err: undefined }),
      (err: Error) => ({ result: undefined, err }),
    );

  it('refuses a new version that is not above every version of the model in the group, naming the highest', async () => {
    const r = await release('1.0.0', '2.0.0');
    expect(r.err?.name).toBe('UsageError');
    expect(r.err?.message).toContain(
      '--model-version 2.0.0: expected a version above 2.0.0, the highest of tag-scratch',
    );
  });

  it('refuses a version that was never approved in the group, listing the versions there', async () => {
    const r = await release('0.9.0', '3.0.0');
    expect(r.err?.message).toContain('--from-version 0.9.0: no approved package of that version');
    expect(r.err?.message).toMatch(/versions there: .*1\.0\.0/);
    // and through the command line: a usage error, exit code 2
    const cli = await publish(['--from-version', '0.9.0', '--model-version', '3.0.0']);
    expect(cli.code).toBe(2);
    expect(cli.err).toContain('no approved package of that version');
  });

  it('refuses a model file or missing --model-version with --from-version, before any AWS call', async () => {
    expect((await publish([INT8, '--from-version', '1.0.0', '--model-version', '3.0.0'])).err).toContain(
      'expected no model file',
    );
    expect((await publish(['--from-version', '1.0.0'])).err).toContain('--from-version needs --model-version');
  });

  it("releases version 1.0.0's weights as 3.0.0: a new approved package, resolved and signed anew by the rollout", async () => {
    const { result, err } = await release('1.0.0', '3.0.0');
    expect(err).toBeUndefined();
    if (!result) throw new Error('no result');
    expect(result).toMatchObject({
      modelDataUrl: v1.modelDataUrl,
      sha256: await sha256(INT8),
      approved: true,
      from: { modelPackageArn: v1.modelPackageArn, modelVersion: '1.0.0' },
    });
    const pkg = await registry().describe(result.modelPackageArn);
    expect(pkg).toMatchObject({
      approvalStatus: 'Approved',
      metadata: expect.objectContaining({ modelName: 'tag-scratch', modelVersion: '3.0.0', sha256: v1.sha256 }),
    });

    // The rollout takes it like any release: the newest approved, version 3.0.0, a manifest signed now.
    const resolved = await createResolveModelHandler({ registry: registry(), defaultGroup: GROUP })({});
    expect(resolved).toMatchObject({ found: true, model: { name: 'tag-scratch', version: '3.0.0' } });
    const keys = generateDevKeyPair('ed25519');
    const store = createS3ArtifactStore(s3);
    const packaged = await createPackageModelHandler({
      registry: registry(),
      store,
      signer: createPemSigner(keys.privateKeyPem),
      bucket: BUCKET,
    })(resolved);
    expect(packaged.component).toMatchObject({ version: '3.0.0', modelSha256: await sha256(INT8) });
    const base = `s3://${BUCKET}/components/${packaged.component?.name}/3.0.0`;
    const manifestBytes = await store.get(`${base}/manifest.json`);
    expect(parseManifestBytes(manifestBytes)).toMatchObject({ name: 'tag-scratch', version: '3.0.0' });
    const signature = decodeSignature(await store.get(`${base}/manifest.sig`));
    expect(
      verifyManifestSignature(manifestBytes, signature, [trustedKey(parsePublicKeyPem(keys.publicKeyPem))]).keyId,
    ).toBe(keys.keyId);
  }, 60_000);
});
