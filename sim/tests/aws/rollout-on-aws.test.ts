/**
 * The rollout handlers over their AWS adapters: moto_server (started here, once) for S3, SageMaker
 * model packages, KMS signing, SNS and IoT thing groups; Greengrass v2 and the IoT data plane (which
 * moto lacks) at the SDK boundary with aws-sdk-client-mock, answering in the real API's shapes.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CancelDeploymentCommand,
  CreateComponentVersionCommand,
  CreateDeploymentCommand,
  DescribeComponentCommand,
  GetComponentCommand,
  GetDeploymentCommand,
  GreengrassV2Client,
  ListDeploymentsCommand,
  ListEffectiveDeploymentsCommand,
  ListInstalledComponentsCommand,
} from '@aws-sdk/client-greengrassv2';
import {
  AddThingToThingGroupCommand,
  CreateThingCommand,
  CreateThingGroupCommand,
  IoTClient,
} from '@aws-sdk/client-iot';
import { GetRetainedMessageCommand, IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { decodeSignature, trustedKey, verifyManifestSignature } from '@edgeqc/model-component/signature';
import { createKmsSigner } from '@edgeqc/model-component/signers';
import {
  componentVersionArn,
  createGreengrassComponentCatalog,
} from '@edgeqc/orchestrator/adapters/greengrass-component-catalog';
import { createGreengrassDeploymentService } from '@edgeqc/orchestrator/adapters/greengrass-deployments';
import { createIotFleetHealth } from '@edgeqc/orchestrator/adapters/iot-fleet-health';
import { createS3ArtifactStore } from '@edgeqc/orchestrator/adapters/s3-artifact-store';
import { createSageMakerModelRegistry } from '@edgeqc/orchestrator/adapters/sagemaker-model-registry';
import { createSnsNotifier } from '@edgeqc/orchestrator/adapters/sns-notifier';
import { publishModelCommand } from '@edgeqc/orchestrator/cli/publish-model-command';
import type { RolloutState } from '@edgeqc/orchestrator/domain';
import { ErrorNames, isRetryable } from '@edgeqc/orchestrator/errors';
import {
  createCheckDeployableHandler,
  createCreateComponentVersionHandler,
  createDeployCanaryHandler,
  createNotifyFailureHandler,
  createNotifyHandler,
  createPackageModelHandler,
  createResolveModelHandler,
  createUndoRolloutHandler,
  createVerifyCanaryHandler,
} from '@edgeqc/orchestrator/handler-factories';
import type { Notifier } from '@edgeqc/orchestrator/ports';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MotoServer, startMotoServer } from '../../src/aws/moto-server.ts';
import { DEMO_MODEL_DIR, PROJECT_ROOT } from '../../src/project-root.ts';
import { captureIo } from '../support/capture-io.ts';
import { statusMessage } from '../support/status-message.ts';

const MODEL = join(DEMO_MODEL_DIR, 'model.int8.onnx');
const BUCKET = 'edgeqc-components-test';
const ACCOUNT = '123456789012';

const gg = mockClient(GreengrassV2Client);
const iotData = mockClient(IoTDataPlaneClient);

let moto: MotoServer;
let s3: S3Client;
let sagemaker: SageMakerClient;
let kms: KMSClient;
let iot: IoTClient;
let keyId: string;
let topicArn: string;

beforeAll(async () => {
  moto = await startMotoServer();
  s3 = new S3Client({ ...moto.config, forcePathStyle: true });
  sagemaker = new SageMakerClient(moto.config);
  kms = new KMSClient(moto.config);
  iot = new IoTClient(moto.config);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const key = await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }));
  keyId = key.KeyMetadata?.KeyId ?? '';
  topicArn =
    (await new SNSClient(moto.config).send(new CreateTopicCommand({ Name: 'edgeqc-rollouts' }))).TopicArn ?? '';
  await iot.send(new CreateThingGroupCommand({ thingGroupName: 'canary' }));
  for (const thing of ['canary-1', 'canary-2']) {
    await iot.send(new CreateThingCommand({ thingName: thing }));
    await iot.send(new AddThingToThingGroupCommand({ thingGroupName: 'canary', thingName: thing }));
  }
}, 60_000);

afterAll(async () => {
  gg.restore();
  iotData.restore();
  await moto?.stop();
});

const registry = () => createSageMakerModelRegistry(sagemaker);
const store = () => createS3ArtifactStore(s3);

describe('ResolveModel against the SageMaker model registry', () => {
  it('succeeds as a no-op on an empty registry', async () => {
    const resolve = createResolveModelHandler({ registry: registry() });
    const out = await resolve({ modelPackageGroupName: 'nothing-here' });
    expect(out).toMatchObject({ found: false, modelPackageGroupName: 'nothing-here' });
  });

  it('publish-model registers and approves; a manual start resolves the NEWEST approved version', async () => {
    const publish = async (extra: string[]) => {
      const io = captureIo({ ...moto.env });
      const code = await publishModelCommand.run(
        [MODEL, '--group', 'tag-scratch', '--bucket', BUCKET, '--json', ...extra],
        io.io,
      );
      expect(io.err()).toBe('');
      expect(code).toBe(0);
      return JSON.parse(io.out()) as { modelPackageArn: string; version: number; sha256: string };
    };
    const first = await publish(['--name', 'tag-scratch']);
    const second = await publish(['--name', 'tag-scratch']);
    await publish(['--name', 'tag-scratch', '--no-approve']);
    expect(second.version).toBe(first.version + 1);

    const out = await createResolveModelHandler({ registry: registry(), defaultGroup: 'tag-scratch' })({});
    expect(out).toMatchObject({
      found: true,
      modelPackageArn: second.modelPackageArn,
      model: { name: 'tag-scratch', version: `1.0.${second.version}`, packageVersion: second.version },
    });
  });

  it('refuses an event for a package that is not approved, by name', async () => {
    const pending = (await registry().list('tag-scratch', { approvalStatus: 'PendingManualApproval' }))[0];
    expect(pending).toBeDefined();
    await expect(
      createResolveModelHandler({ registry: registry() })({ detail: { ModelPackageArn: pending?.arn } }),
    ).rejects.toMatchObject({
      name: ErrorNames.ModelNotApproved,
      message: expect.stringContaining('[ResolveModel]'),
    });
  });
});

let packaged: RolloutState;

describe('PackageModel with the real ONNX model, KMS signing and S3', () => {
  it('validates, signs with KMS, uploads immutable artifacts and the recipe', async () => {
    const resolved = await createResolveModelHandler({ registry: registry(), defaultGroup: 'tag-scratch' })({});
    const signer = createKmsSigner({ keyId, client: kms });
    const handler = createPackageModelHandler({ registry: registry(), store: store(), signer, bucket: BUCKET });
    packaged = await handler(resolved);
    const component = packaged.component;
    expect(component).toMatchObject({ name: 'com.edgeqc.Model.tag-scratch', version: resolved.model?.version });
    expect(component?.modelSha256).toMatch(/^[0-9a-f]{64}$/);

    const base = `s3://${BUCKET}/components/${component?.name}/${component?.version}`;
    const manifest = await store().get(`${base}/manifest.json`);
    const sig = decodeSignature(await store().get(`${base}/manifest.sig`));
    expect(verifyManifestSignature(manifest, sig, [trustedKey(await signer.publicKey())]).algorithm).toBe(
      'ECDSA_SHA_256',
    );
    const model = await store().get(`${base}/model.onnx`);
    expect(Buffer.from(model).equals(await readFile(MODEL))).toBe(true);
    const recipe = JSON.parse(new TextDecoder().decode(await store().get(component?.recipeUri ?? ''))) as {
      ComponentName: string;
      ComponentVersion: string;
    };
    expect(recipe).toMatchObject({ ComponentName: component?.name, ComponentVersion: component?.version });

    // Running the step again for the same model reuses every artifact (immutable, identical); the
    // template read from a recipes folder (how the Lambda bundle gets it) renders the same recipe.
    const recipesDir = join(PROJECT_ROOT, 'recipes');
    const again = await createPackageModelHandler({
      registry: registry(),
      store: store(),
      signer,
      bucket: BUCKET,
      recipesDir,
    })(resolved);
    expect(again.component?.modelSha256).toBe(component?.modelSha256);
  });

  it('fails a model that does not validate, by name, and writes nothing for it', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'edgeqc-models-bad' }));
    const bad = store();
    const url = 's3://edgeqc-models-bad/models/broken/model.onnx';
    await bad.put(url, new TextEncoder().encode('this is not an ONNX model'));
    const pkg = await registry().register({ group: 'broken', modelDataUrl: url, metadata: { labels: 'scratch' } });
    await registry().approve(pkg.arn);
    const resolved = await createResolveModelHandler({ registry: registry() })({ modelPackageArn: pkg.arn });
    const handler = createPackageModelHandler({
      registry: registry(),
      store: store(),
      signer: createKmsSigner({ keyId, client: kms }),
      bucket: BUCKET,
    });
    await expect(handler(resolved)).rejects.toMatchObject({
      name: ErrorNames.ModelInvalid,
      message: expect.stringContaining('[PackageModel]'),
    });
    expect(await store().head(`s3://${BUCKET}/components/com.edgeqc.Model.broken/1.0.1/model.onnx`)).toBeUndefined();
  });

  it('refuses to overwrite an artifact with different bytes', async () => {
    const uri = `s3://${BUCKET}/components/x/1.0.0/model.onnx`;
    await store().put(uri, new Uint8Array([1, 2, 3]));
    expect((await store().put(uri, new Uint8Array([1, 2, 3]))).reused).toBe(true);
    await expect(store().put(uri, new Uint8Array([1, 2, 4]))).rejects.toMatchObject({
      name: ErrorNames.VersionConflict,
    });
  });
});

describe('CreateComponentVersion and WaitDeployable (Greengrass v2 at the SDK boundary)', () => {
  const catalog = () =>
    createGreengrassComponentCatalog(new GreengrassV2Client({ region: 'us-east-1' }), {
      arnOf: (n, v) => componentVersionArn('us-east-1', ACCOUNT, n, v),
    });

  it('creates the version once; a re-run of the same model reuses it (no duplicate)', async () => {
    gg.reset();
    const component = packaged.component!;
    const arn = componentVersionArn('us-east-1', ACCOUNT, component.name, component.version);
    const recipe = await store().get(component.recipeUri);
    gg.on(CreateComponentVersionCommand)
      .resolvesOnce({
        arn,
        componentName: component.name,
        componentVersion: component.version,
        creationTimestamp: new Date(),
        status: { componentState: 'REQUESTED', message: 'NONE', errors: {} },
      })
      .rejects(
        Object.assign(new Error(`Component ${component.name} version ${component.version} already exists`), {
          name: 'ConflictException',
          $metadata: { httpStatusCode: 409 },
        }),
      );
    gg.on(GetComponentCommand).resolves({ recipeOutputFormat: 'JSON', recipe });
    gg.on(DescribeComponentCommand).resolves({
      arn,
      componentName: component.name,
      componentVersion: component.version,
      status: { componentState: 'DEPLOYABLE', message: 'NONE', errors: {} },
    });
    const handler = createCreateComponentVersionHandler({ store: store(), catalog: catalog() });
    const first = await handler(packaged);
    const second = await handler(packaged);
    expect(first.component?.arn).toBe(arn);
    expect(second.component?.arn).toBe(arn);
    expect(gg.commandCalls(CreateComponentVersionCommand)).toHaveLength(2);
    expect(gg.commandCalls(GetComponentCommand)).toHaveLength(1);

    const checked = await createCheckDeployableHandler({ catalog: catalog() })(first);
    expect(checked.deployable).toBe(true);
    packaged = checked;
  });

  it('a different recipe under an existing version is a VersionConflict', async () => {
    gg.reset();
    gg.on(CreateComponentVersionCommand).rejects(Object.assign(new Error('exists'), { name: 'ConflictException' }));
    gg.on(GetComponentCommand).resolves({
      recipe: new TextEncoder().encode('{"ComponentName":"x","ComponentVersion":"1.0.0","Manifests":[]}'),
    });
    await expect(
      createCreateComponentVersionHandler({ store: store(), catalog: catalog() })(packaged),
    ).rejects.toMatchObject({
      name: ErrorNames.VersionConflict,
    });
  });

  it('FAILED fails WaitDeployable with Greengrass’ reason; REQUESTED waits', async () => {
    gg.reset();
    gg.on(DescribeComponentCommand)
      .resolvesOnce({ status: { componentState: 'REQUESTED', message: 'NONE', errors: {} } })
      .resolves({
        status: {
          componentState: 'FAILED',
          message: 'artifact error',
          errors: { 's3://b/model.onnx': 'ACCESS_DENIED' },
        },
      });
    const check = createCheckDeployableHandler({ catalog: catalog() });
    const waiting = await check(packaged);
    expect(waiting).toMatchObject({ deployable: false });
    await expect(check(waiting)).rejects.toMatchObject({
      name: ErrorNames.ComponentFailed,
      message: expect.stringContaining('ACCESS_DENIED'),
    });
  });

  it('throttling surfaces as the retryable ThrottledError', async () => {
    gg.reset();
    gg.on(DescribeComponentCommand).rejects(
      Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 429 } }),
    );
    const err = await createCheckDeployableHandler({ catalog: catalog() })(packaged).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: ErrorNames.Throttled });
    expect(isRetryable(err)).toBe(true);
  });
});

describe('DeployCanary and VerifyCanary (IoT groups in moto, Greengrass and retained status mocked)', () => {
  const deployments = () => createGreengrassDeploymentService(new GreengrassV2Client({ region: 'us-east-1' }), iot);
  const health = () => createIotFleetHealth(new IoTDataPlaneClient({ region: 'us-east-1' }));
  let deployed: RolloutState;

  it("deploys model + inference to the canary group, keeping the group's other components", async () => {
    gg.reset();
    gg.on(ListDeploymentsCommand).resolves({
      deployments: [{ deploymentId: 'old-dep', targetArn: 'x', isLatestForTarget: true, deploymentStatus: 'ACTIVE' }],
    });
    gg.on(GetDeploymentCommand, { deploymentId: 'old-dep' }).resolves({
      deploymentId: 'old-dep',
      deploymentStatus: 'ACTIVE',
      components: {
        'aws.greengrass.Nucleus': { componentVersion: '2.14.0' },
        'aws.greengrass.LogManager': { componentVersion: '2.3.9' },
        'com.edgeqc.Model.tag-scratch': { componentVersion: '1.0.0' },
        'com.edgeqc.Inference': {
          componentVersion: '0.1.0',
          configurationUpdate: { merge: '{"cameraDir":"/cam"}' },
          runWith: { posixUser: 'edgeqc', systemResourceLimits: { memory: 524288, cpus: 1.5 } },
        },
      },
    });
    gg.on(CreateDeploymentCommand).resolves({
      deploymentId: 'new-dep',
      iotJobId: 'job-1',
      iotJobArn: 'arn:aws:iot:us-east-1:1:job/job-1',
    });
    const execution = { id: 'arn:aws:states:us-east-1:1:execution:ModelRollout:e1', stateMachine: 'sm' };
    deployed = await createDeployCanaryHandler({ deployments: deployments(), group: 'canary' })({
      ...packaged,
      execution,
    });
    expect(gg.commandCalls(ListDeploymentsCommand)[0]?.args[0].input).toMatchObject({ historyFilter: 'ALL' });
    const input = gg.commandCalls(CreateDeploymentCommand)[0]?.args[0].input;
    expect(input?.targetArn).toMatch(/thinggroup\/canary$/);
    expect(input?.components).toEqual({
      'aws.greengrass.Nucleus': { componentVersion: '2.14.0' },
      'aws.greengrass.LogManager': { componentVersion: '2.3.9' },
      'com.edgeqc.Model.tag-scratch': { componentVersion: packaged.component?.version },
      'com.edgeqc.Inference': {
        componentVersion: '0.1.0',
        configurationUpdate: { merge: '{"cameraDir":"/cam"}' },
        runWith: { posixUser: 'edgeqc', systemResourceLimits: { memory: 524288, cpus: 1.5 } },
      },
    });
    expect(input?.clientToken).toMatch(/^[0-9a-f]{64}$/);
    expect(deployed.canary).toMatchObject({ previousDeploymentId: 'old-dep' });
    // A Lambda retried after its CreateDeployment succeeded sends the same client token: Greengrass
    // answers with the deployment it made, not a second one.
    await createDeployCanaryHandler({ deployments: deployments(), group: 'canary' })({ ...packaged, execution });
    const tokens = gg.commandCalls(CreateDeploymentCommand).map((c) => c.args[0].input.clientToken);
    expect(tokens).toEqual([input?.clientToken, input?.clientToken]);
    expect(input?.deploymentPolicies).toEqual({
      failureHandlingPolicy: 'ROLLBACK',
      componentUpdatePolicy: { action: 'NOTIFY_COMPONENTS', timeoutInSeconds: 60 },
      configurationValidationPolicy: { timeoutInSeconds: 30 },
    });
    expect(deployed.canary).toMatchObject({ group: 'canary', deploymentId: 'new-dep', done: false });
  });

  const deviceState = (selfTestPassed: (thing: string) => boolean) => {
    gg.reset();
    iotData.reset();
    const version = packaged.component?.version;
    gg.on(ListEffectiveDeploymentsCommand).resolves({
      effectiveDeployments: [
        {
          deploymentId: 'new-dep',
          deploymentName: 'edgeqc-canary',
          iotJobId: 'job-1',
          targetArn: 'arn',
          coreDeviceExecutionStatus: 'COMPLETED',
          reason: 'SUCCESSFUL',
          creationTimestamp: new Date(),
          modifiedTimestamp: new Date(),
        },
      ],
    });
    gg.on(ListInstalledComponentsCommand).resolves({
      installedComponents: [
        {
          componentName: 'com.edgeqc.Model.tag-scratch',
          componentVersion: version,
          lifecycleState: 'FINISHED',
          isRoot: true,
        },
        { componentName: 'com.edgeqc.Inference', componentVersion: '0.1.0', lifecycleState: 'RUNNING', isRoot: true },
      ],
    });
    for (const thing of ['canary-1', 'canary-2']) {
      iotData.on(GetRetainedMessageCommand, { topic: `edgeqc/${thing}/status` }).resolves({
        topic: `edgeqc/${thing}/status`,
        qos: 1,
        lastModifiedTime: Date.now(),
        payload: new TextEncoder().encode(
          JSON.stringify(
            statusMessage(thing, { sha256: packaged.component?.modelSha256, selfTestPassed: selfTestPassed(thing) }),
          ),
        ),
      });
    }
  };

  it('verifies every canary device: effective deployment, installed versions, retained status', async () => {
    deviceState(() => true);
    const out = await createVerifyCanaryHandler({ deployments: deployments(), health: health(), timeoutSeconds: 900 })(
      deployed,
    );
    expect(out.canary).toMatchObject({ done: true, devices: 2, checks: 1 });
    expect(iotData.commandCalls(GetRetainedMessageCommand)).toHaveLength(2);
  });

  it('a canary device reporting a failing self-test fails the canary by name', async () => {
    deviceState((thing) => thing !== 'canary-2');
    await expect(
      createVerifyCanaryHandler({ deployments: deployments(), health: health(), timeoutSeconds: 900 })(deployed),
    ).rejects.toMatchObject({
      name: ErrorNames.CanaryUnhealthy,
      message: expect.stringContaining('canary-2: self-test of the new model failed'),
    });
  });
});

describe('UndoRollout (Greengrass mocked at the SDK boundary)', () => {
  it("cancels the canary deployment and redeploys the group's previous one, with its own client token", async () => {
    gg.reset();
    gg.on(CancelDeploymentCommand).resolves({ message: 'canceled' });
    gg.on(GetDeploymentCommand, { deploymentId: 'old-dep' }).resolves({
      deploymentId: 'old-dep',
      deploymentName: 'edgeqc-canary-tag-scratch-1.0.0',
      deploymentStatus: 'INACTIVE',
      components: {
        'com.edgeqc.Model.tag-scratch': { componentVersion: '1.0.0' },
        'com.edgeqc.Inference': { componentVersion: '0.1.0', runWith: { posixUser: 'edgeqc' } },
      },
    });
    gg.on(CreateDeploymentCommand).resolves({ deploymentId: 'restore-dep' });
    const undo = createUndoRolloutHandler({
      deployments: createGreengrassDeploymentService(new GreengrassV2Client({ region: 'us-east-1' }), iot),
    });
    const state: RolloutState = {
      ...packaged,
      execution: { id: 'arn:aws:states:us-east-1:1:execution:ModelRollout:e1', stateMachine: 'sm' },
      canary: {
        group: 'canary',
        targetArn: 'arn:aws:iot:us-east-1:123456789012:thinggroup/canary',
        deploymentId: 'new-dep',
        previousDeploymentId: 'old-dep',
        startedAt: new Date().toISOString(),
        done: true,
        checks: 3,
      },
    };
    const out = await undo(state);
    expect(gg.commandCalls(CancelDeploymentCommand)[0]?.args[0].input).toEqual({ deploymentId: 'new-dep' });
    const input = gg.commandCalls(CreateDeploymentCommand)[0]?.args[0].input;
    expect(input).toMatchObject({
      targetArn: 'arn:aws:iot:us-east-1:123456789012:thinggroup/canary',
      components: {
        'com.edgeqc.Model.tag-scratch': { componentVersion: '1.0.0' },
        'com.edgeqc.Inference': { componentVersion: '0.1.0', runWith: { posixUser: 'edgeqc' } },
      },
      deploymentPolicies: { failureHandlingPolicy: 'ROLLBACK' },
      clientToken: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(out.undo?.canary).toEqual({
      group: 'canary',
      canceledDeploymentId: 'new-dep',
      previousDeploymentId: 'old-dep',
      restoredDeploymentId: 'restore-dep',
    });
  });

  it('a deployment Greengrass no longer lets cancel (ConflictException) is not an undo failure', async () => {
    gg.reset();
    gg.on(CancelDeploymentCommand).rejects(Object.assign(new Error('already canceled'), { name: 'ConflictException' }));
    const service = createGreengrassDeploymentService(new GreengrassV2Client({ region: 'us-east-1' }), iot);
    await expect(service.cancelDeployment('gone-dep')).resolves.toBeUndefined();
  });
});

describe('Notify and NotifyFailure over SNS', () => {
  it('publishes the result; the failure names the step and the reason', async () => {
    const sent: { subject: string; message: string }[] = [];
    const sns = createSnsNotifier(topicArn, new SNSClient(moto.config));
    const notifier: Notifier = {
      async publish(subject, message, attrs) {
        sent.push({ subject, message });
        await sns.publish(subject, message, attrs);
      },
    };
    await createNotifyHandler({ notifier })(packaged);
    await createNotifyFailureHandler({ notifier })({
      ...packaged,
      failure: {
        Error: ErrorNames.CanaryUnhealthy,
        Cause: JSON.stringify({
          errorType: ErrorNames.CanaryUnhealthy,
          errorMessage: '[VerifyCanary] 1 of 2 canary device(s) failed: canary-2: self-test failed',
        }),
      },
    });
    expect(sent[0]?.subject).toMatch(/^edgeqc rollout succeeded: tag-scratch/);
    expect(sent[1]?.subject).toBe(`edgeqc rollout FAILED at VerifyCanary: tag-scratch ${packaged.model?.version}`);
    expect(sent[1]?.message).toContain('Reason: 1 of 2 canary device(s) failed: canary-2: self-test failed');
    expect(sent[1]?.message).toContain('The fleet was not touched.');
  });
});
