/**
 * ModelRegistry over the SageMaker Model Registry. Lists NEWEST FIRST (SortBy CreationTime,
 * SortOrder Descending): the registry's default is ascending, which is how the reference sample ended
 * up deploying the oldest approved model.
 */
import {
  CreateModelPackageCommand,
  CreateModelPackageGroupCommand,
  DescribeModelPackageCommand,
  DescribeModelPackageGroupCommand,
  ListModelPackagesCommand,
  SageMakerClient,
  UpdateModelPackageCommand,
} from '@aws-sdk/client-sagemaker';
import { ErrorNames, RolloutError } from '../errors.ts';
import type { ApprovalStatus, ModelPackage, ModelRegistry } from '../ports.ts';
import { awsCall, isAwsError } from './aws-errors.ts';

export interface SageMakerRegistryOptions {
  /** Inference container image recorded in the package (SageMaker requires one; the edge does not use it). */
  readonly containerImage?: string;
}

/** A placeholder the registry accepts; edge devices never run it. Override with containerImage. */
export const DEFAULT_CONTAINER_IMAGE = '763104351884.dkr.ecr.us-east-1.amazonaws.com/edgeqc-onnx-edge:latest';

export function createSageMakerModelRegistry(
  client: Pick<SageMakerClient, 'send'> = new SageMakerClient({}),
  options: SageMakerRegistryOptions = {},
): ModelRegistry {
  const describe = async (arn: string): Promise<ModelPackage> => {
    let out: unknown;
    try {
      out = await awsCall(`SageMaker DescribeModelPackage ${arn}`, () =>
        client.send(new DescribeModelPackageCommand({ ModelPackageName: arn })),
      );
    } catch (err) {
      if (isAwsError(err, 'ValidationException', 'ResourceNotFound')) {
        throw new RolloutError(
          ErrorNames.ModelNotFound,
          'MODEL_PACKAGE_NOT_FOUND',
          `model package ${arn} does not exist`,
          {
            cause: err,
          },
        );
      }
      throw err;
    }
    const d = out as {
      ModelPackageArn?: string;
      ModelPackageGroupName?: string;
      ModelPackageVersion?: number;
      ModelApprovalStatus?: ApprovalStatus;
      CreationTime?: Date;
      InferenceSpecification?: { Containers?: { ModelDataUrl?: string }[] };
      CustomerMetadataProperties?: Record<string, string>;
    };
    const dataUrl = d.InferenceSpecification?.Containers?.find((c) => c.ModelDataUrl)?.ModelDataUrl;
    if (!d.ModelPackageArn || !d.ModelPackageGroupName || !d.ModelPackageVersion || !dataUrl) {
      throw new RolloutError(
        ErrorNames.ModelInvalid,
        'MODEL_PACKAGE_INCOMPLETE',
        `model package ${arn} has no group, version or container ModelDataUrl: expected a versioned package with the model's s3:// URI`,
      );
    }
    return {
      arn: d.ModelPackageArn,
      group: d.ModelPackageGroupName,
      version: d.ModelPackageVersion,
      approvalStatus: d.ModelApprovalStatus ?? 'PendingManualApproval',
      createdAt: d.CreationTime ?? new Date(0),
      modelDataUrl: dataUrl,
      metadata: d.CustomerMetadataProperties ?? {},
    };
  };

  return {
    describe,
    async list(group, opts = {}) {
      const out = await awsCall(`SageMaker ListModelPackages ${group}`, () =>
        client.send(
          new ListModelPackagesCommand({
            ModelPackageGroupName: group,
            ModelApprovalStatus: opts.approvalStatus,
            SortBy: 'CreationTime',
            SortOrder: 'Descending',
            MaxResults: opts.maxResults ?? 10,
          }),
        ),
      );
      const arns = (out.ModelPackageSummaryList ?? []).flatMap((s) => (s.ModelPackageArn ? [s.ModelPackageArn] : []));
      const packages = await Promise.all(arns.map(describe));
      // Do not trust the service's order blindly: newest first, ties by version.
      return packages.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.version - a.version);
    },
    async register(input) {
      const exists = await awsCall(`SageMaker DescribeModelPackageGroup ${input.group}`, () =>
        client.send(new DescribeModelPackageGroupCommand({ ModelPackageGroupName: input.group })),
      ).then(
        () => true,
        (err: unknown) => {
          if (isAwsError(err, 'ValidationException', 'ResourceNotFound')) return false;
          throw err;
        },
      );
      if (!exists) {
        await awsCall(`SageMaker CreateModelPackageGroup ${input.group}`, () =>
          client.send(
            new CreateModelPackageGroupCommand({
              ModelPackageGroupName: input.group,
              ModelPackageGroupDescription: 'edgeqc edge models (ONNX), rolled out to Greengrass devices on approval',
            }),
          ),
        );
      }
      const out = await awsCall(`SageMaker CreateModelPackage ${input.group}`, () =>
        client.send(
          new CreateModelPackageCommand({
            ModelPackageGroupName: input.group,
            ModelPackageDescription: input.description,
            ModelApprovalStatus: 'PendingManualApproval',
            InferenceSpecification: {
              Containers: [
                { Image: options.containerImage ?? DEFAULT_CONTAINER_IMAGE, ModelDataUrl: input.modelDataUrl },
              ],
              SupportedContentTypes: ['image/jpeg', 'image/png'],
              SupportedResponseMIMETypes: ['application/json'],
            },
            CustomerMetadataProperties: input.metadata ? { ...input.metadata } : undefined,
          }),
        ),
      );
      if (!out.ModelPackageArn) {
        throw new RolloutError(
          ErrorNames.ServiceUnavailable,
          'NO_ARN',
          'CreateModelPackage returned no ModelPackageArn',
        );
      }
      return describe(out.ModelPackageArn);
    },
    async approve(arn, description) {
      await awsCall(`SageMaker UpdateModelPackage ${arn}`, () =>
        client.send(
          new UpdateModelPackageCommand({
            ModelPackageArn: arn,
            ModelApprovalStatus: 'Approved',
            ApprovalDescription: description,
          }),
        ),
      );
    },
  };
}
