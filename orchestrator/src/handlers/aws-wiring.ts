/**
 * The one place that wires AWS adapters for the Lambda entries: clients with the SDK's default region
 * and credentials, configuration from the environment. Built lazily per function (each Lambda only
 * builds what it uses).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GreengrassV2Client } from '@aws-sdk/client-greengrassv2';
import { DescribeEndpointCommand, IoTClient } from '@aws-sdk/client-iot';
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SFNClient } from '@aws-sdk/client-sfn';
import { createKmsSigner } from '@edgeqc/model-component/signers';
import { createDynamoDbBehaviourSource } from '../adapters/dynamodb-behaviour-source.ts';
import { componentVersionArn, createGreengrassComponentCatalog } from '../adapters/greengrass-component-catalog.ts';
import { createGreengrassDeploymentService } from '../adapters/greengrass-deployments.ts';
import { createIotDeploymentJobs } from '../adapters/iot-deployment-jobs.ts';
import { createIotFleetHealth } from '../adapters/iot-fleet-health.ts';
import { createS3ArtifactStore } from '../adapters/s3-artifact-store.ts';
import { createSageMakerModelRegistry } from '../adapters/sagemaker-model-registry.ts';
import { createSfnExecutions, type RolloutExecutions } from '../adapters/sfn-executions.ts';
import { createSnsNotifier } from '../adapters/sns-notifier.ts';
import type {
  ArtifactStore,
  BehaviourSource,
  ComponentCatalog,
  DeploymentJobs,
  DeploymentService,
  FleetHealth,
  ModelRegistry,
  Notifier,
  Signer,
} from '../ports.ts';
import { configFromEnv, type HandlerConfig, required } from './config.ts';

export const awsConfig = (): Readonly<HandlerConfig> => configFromEnv(process.env);

export const awsModelRegistry = (): ModelRegistry => createSageMakerModelRegistry(new SageMakerClient({}));
export const awsArtifactStore = (): ArtifactStore => createS3ArtifactStore(new S3Client({}));
export const awsSigner = (c: HandlerConfig): Signer =>
  createKmsSigner({ keyId: required(c, 'signingKeyId'), client: new KMSClient({}) });

export const awsComponentCatalog = (c: HandlerConfig): ComponentCatalog => {
  const region = required(c, 'region');
  const account = required(c, 'accountId');
  return createGreengrassComponentCatalog(new GreengrassV2Client({}), {
    arnOf: (name, version) => componentVersionArn(region, account, name, version),
  });
};

export const awsDeploymentService = (): DeploymentService =>
  createGreengrassDeploymentService(new GreengrassV2Client({}), new IoTClient({}));

export const awsDeploymentJobs = (): DeploymentJobs => createIotDeploymentJobs(new IoTClient({}));

/** Retained status over the account's IoT data endpoint (configured, or found by DescribeEndpoint). */
export const awsFleetHealth = (c: HandlerConfig): FleetHealth => {
  let inner: Promise<FleetHealth> | undefined;
  const build = async () => {
    let endpoint = c.iotDataEndpoint;
    if (!endpoint) {
      const out = await new IoTClient({}).send(new DescribeEndpointCommand({ endpointType: 'iot:Data-ATS' }));
      endpoint = `https://${out.endpointAddress}`;
    }
    return createIotFleetHealth(new IoTDataPlaneClient({ endpoint }), c.statusTopicPrefix);
  };
  return {
    async retainedStatus(thingName) {
      inner ??= build().catch((err: unknown) => {
        inner = undefined;
        throw err;
      });
      return (await inner).retainedStatus(thingName);
    },
  };
};

/** The devices' newest metrics messages, from the table FleetMetrics fills (EDGEQC_METRICS_TABLE). */
export const awsBehaviourSource = (c: HandlerConfig): BehaviourSource =>
  createDynamoDbBehaviourSource(new DynamoDBClient({}), required(c, 'metricsTable'));

export const awsNotifier = (c: HandlerConfig): Notifier => createSnsNotifier(required(c, 'topicArn'));

export const awsExecutions = (): RolloutExecutions => createSfnExecutions(new SFNClient({}));
