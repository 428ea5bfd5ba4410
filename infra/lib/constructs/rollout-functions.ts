/**
 * One Lambda function per state of the rollout (entries from @edgeqc/orchestrator/handlers), bundled
 * with esbuild as ESM, Node.js 24, X-Ray tracing, a log group each with a retention, and per function
 * exactly the permissions its step needs (see orchestrator/README.md "Permissions each function needs").
 */
import { join } from 'node:path';
import { EnvNames, handlerEntries, type StepName, StepNames } from '@edgeqc/orchestrator/handlers';
import { type QualityGateConfig, qualityGateConfig } from '@edgeqc/orchestrator/quality-gate';
import { ArnFormat, Duration, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import { type IRole, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, type IFunction, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { BucketPrefixes } from './component-bucket.ts';
import { acknowledge, acknowledgeWildcards } from './nag.ts';

/** The Lambda runtime of every function (nodejs20.x can no longer be created). */
export const FUNCTION_RUNTIME = Runtime.NODEJS_24_X;

/** The repository root (the npm workspace with package-lock.json). */
export const REPO_ROOT = join(import.meta.dirname, '..', '..', '..');

/** Where PackageModel finds recipes/model-component.recipe.json inside its bundle. */
export const BUNDLED_RECIPES_DIR = '/var/task/recipes';

export interface RolloutFunctionsProps {
  readonly bucket: IBucket;
  readonly topic: ITopic;
  /** The KMS key the topic is encrypted with (publishers need GenerateDataKey/Decrypt on it). */
  readonly topicKey: IKey;
  readonly modelPackageGroup: string;
  readonly canaryGroup: string;
  readonly fleetGroup: string;
  /** ARN of the state machine (ResolveModel lists its executions); a string, to avoid a cycle. */
  readonly stateMachineArn: string;
  /** Version of com.edgeqc.Inference to deploy. Default: the version each group already runs. */
  readonly inferenceComponentVersion?: string;
  /** Seconds a canary may take to report the new model. Default: the handlers' default (900). */
  readonly canaryTimeoutSeconds?: number;
  /** Seconds the fleet may take. Default: the handlers' default (3600). */
  readonly fleetTimeoutSeconds?: number;
  /**
   * Seconds every canary device must stay healthy (heartbeat going on, error counts unchanged) before the
   * fleet is touched. Default: the handlers' default (600).
   */
  readonly canaryBakeSeconds?: number;
  /** Fleet abort threshold (percent failed). Default: the handlers' default (10). */
  readonly fleetAbortPercent?: number;
  /**
   * The canary's quality gate (its minimum bake time is `canaryBakeSeconds`), validated at synth: a value
   * out of range throws naming `qualityGate.<key>`. `false` turns it off. Default: on, the handlers' limits.
   */
  readonly qualityGate?: false | Partial<Omit<QualityGateConfig, 'minBakeSeconds'>>;
  /** Log retention of the functions. Default: three months. */
  readonly logRetention?: RetentionDays;
}

const ESM_BANNER = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/** onnxruntime-node is native: not bundled, its Linux x64 build copied into the bundle's node_modules. */
function packageModelHooks(): BundlingOptions['commandHooks'] {
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (inputDir: string, outputDir: string) => {
      const from = `${inputDir}/node_modules`;
      const to = `${outputDir}/node_modules`;
      return [
        `mkdir -p "${to}/onnxruntime-node/bin/napi-v6/linux/x64" "${outputDir}/recipes"`,
        `cp "${from}/onnxruntime-node/package.json" "${to}/onnxruntime-node/"`,
        `cp -r "${from}/onnxruntime-node/dist" "${to}/onnxruntime-node/"`,
        `cp "${from}/onnxruntime-node/bin/napi-v6/linux/x64/"* "${to}/onnxruntime-node/bin/napi-v6/linux/x64/"`,
        `cp -r "${from}/onnxruntime-common" "${to}/"`,
        `cp "${inputDir}/recipes/model-component.recipe.json" "${outputDir}/recipes/"`,
      ];
    },
  };
}

/** The quality gate's environment for VerifyCanary, its settings checked against the handlers' schema. */
export function qualityGateEnv(
  props: Pick<RolloutFunctionsProps, 'qualityGate' | 'canaryBakeSeconds'>,
): Record<string, string> {
  if (props.qualityGate === false) return { [EnvNames.QualityGate]: 'off' };
  const given = props.qualityGate ?? {};
  const checked = qualityGateConfig(
    props.canaryBakeSeconds === undefined ? given : { ...given, minBakeSeconds: props.canaryBakeSeconds },
    'qualityGate',
  );
  const names = {
    minImages: EnvNames.GateMinImages,
    maxUnclearRateIncrease: EnvNames.GateMaxUnclearRateIncrease,
    maxDefectRateIncrease: EnvNames.GateMaxDefectRateIncrease,
    maxScorePsi: EnvNames.GateMaxScorePsi,
  } as const;
  return Object.fromEntries(
    Object.entries(names).flatMap(([key, name]) =>
      key in given ? [[name, String(checked[key as keyof typeof names])]] : [],
    ),
  );
}

export class RolloutFunctions extends Construct {
  /** The function of each state, by state name. */
  readonly byStep: Readonly<Record<StepName, NodejsFunction>>;

  constructor(scope: Construct, id: string, props: RolloutFunctionsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const optional = (name: string, v: number | string | undefined) => (v === undefined ? {} : { [name]: String(v) });
    const common: Record<string, string> = {
      [EnvNames.CanaryGroup]: props.canaryGroup,
      [EnvNames.FleetGroup]: props.fleetGroup,
      [EnvNames.AccountId]: stack.account,
      [EnvNames.TopicArn]: props.topic.topicArn,
      [EnvNames.ModelPackageGroup]: props.modelPackageGroup,
      ...optional(EnvNames.InferenceComponentVersion, props.inferenceComponentVersion),
      ...optional(EnvNames.CanaryTimeoutSeconds, props.canaryTimeoutSeconds),
      ...optional(EnvNames.FleetTimeoutSeconds, props.fleetTimeoutSeconds),
      ...optional(EnvNames.FleetAbortPercent, props.fleetAbortPercent),
      ...optional(EnvNames.CanaryBakeSeconds, props.canaryBakeSeconds),
    };

    const make = (step: StepName, extra: { memoryMb?: number; timeout?: Duration; env?: Record<string, string> }) => {
      const isPackager = step === StepNames.PackageModel;
      const logGroup = new LogGroup(this, `${step}Logs`, {
        retention: props.logRetention ?? RetentionDays.THREE_MONTHS,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      // Own role, no AWS managed policy: logs go to this function's log group only.
      const role = new Role(this, `${step}Role`, {
        assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
        description: `edgeqc rollout step ${step}`,
      });
      role.addToPolicy(
        new PolicyStatement({
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [logGroup.logGroupArn],
        }),
      );
      return new NodejsFunction(this, step, {
        role,
        entry: handlerEntries[step].entry,
        handler: handlerEntries[step].handler,
        runtime: FUNCTION_RUNTIME,
        architecture: Architecture.X86_64,
        description: `edgeqc rollout step ${step}`,
        projectRoot: REPO_ROOT,
        depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
        memorySize: extra.memoryMb ?? 256,
        timeout: extra.timeout ?? Duration.seconds(60),
        ephemeralStorageSize: isPackager ? Size.mebibytes(2048) : undefined,
        tracing: Tracing.ACTIVE,
        logGroup,
        loggingFormat: LoggingFormat.JSON,
        environment: { ...common, ...extra.env },
        bundling: {
          format: OutputFormat.ESM,
          target: 'node24',
          banner: ESM_BANNER,
          sourceMap: true,
          logLevel: LogLevel.WARNING,
          // The functions carry the SDK versions the handlers were tested with, not the runtime's.
          externalModules: isPackager ? ['onnxruntime-node'] : [],
          commandHooks: isPackager ? packageModelHooks() : undefined,
        },
      });
    };

    const fns = {
      [StepNames.ResolveModel]: make(StepNames.ResolveModel, {}),
      [StepNames.PackageModel]: make(StepNames.PackageModel, {
        memoryMb: 2048,
        timeout: Duration.minutes(5),
        env: {
          [EnvNames.ArtifactBucket]: props.bucket.bucketName,
          [EnvNames.RecipesDir]: BUNDLED_RECIPES_DIR,
        },
      }),
      [StepNames.CreateComponentVersion]: make(StepNames.CreateComponentVersion, {}),
      [StepNames.CheckDeployable]: make(StepNames.CheckDeployable, {}),
      [StepNames.DeployCanary]: make(StepNames.DeployCanary, {}),
      [StepNames.VerifyCanary]: make(StepNames.VerifyCanary, {
        timeout: Duration.minutes(2),
        env: qualityGateEnv(props),
      }),
      [StepNames.DeployFleet]: make(StepNames.DeployFleet, {}),
      [StepNames.VerifyFleet]: make(StepNames.VerifyFleet, { timeout: Duration.minutes(5) }),
      [StepNames.UndoRollout]: make(StepNames.UndoRollout, {}),
      [StepNames.Notify]: make(StepNames.Notify, {}),
      [StepNames.NotifyFailure]: make(StepNames.NotifyFailure, {}),
    } satisfies Record<StepName, NodejsFunction>;
    this.byStep = fns;

    this.grant(props, fns);
  }

  private grant(props: RolloutFunctionsProps, f: Record<StepName, NodejsFunction>): void {
    const stack = Stack.of(this);
    const arn = (service: string, resource: string, resourceName?: string, sep = ArnFormat.SLASH_RESOURCE_NAME) =>
      stack.formatArn({ service, resource, resourceName, arnFormat: sep });
    const allow = (fn: IFunction, actions: string[], resources: string[]) =>
      fn.addToRolePolicy(new PolicyStatement({ actions, resources }));
    const objects = (prefix: string) => props.bucket.arnForObjects(`${prefix}*`);
    // SageMaker ARNs carry the group name in lower case.
    const modelPackages = arn('sagemaker', 'model-package', `${props.modelPackageGroup.toLowerCase()}/*`);
    const modelComponents = arn('greengrass', 'components', 'com.edgeqc.Model.*', ArnFormat.COLON_RESOURCE_NAME);
    const modelComponentVersions = `${modelComponents}:versions:*`;
    const inferenceComponent = arn('greengrass', 'components', 'com.edgeqc.*', ArnFormat.COLON_RESOURCE_NAME);

    // ResolveModel: ListModelPackages has no resource-level permissions (AWS requires "*").
    allow(f.ResolveModel, ['sagemaker:ListModelPackages'], ['*']);
    allow(f.ResolveModel, ['sagemaker:DescribeModelPackage'], [modelPackages]);
    allow(f.ResolveModel, ['states:ListExecutions'], [props.stateMachineArn]);
    // The version the fleet serves (a version not newer is refused): the fleet group's current deployment.
    allow(f.ResolveModel, ['iot:DescribeThingGroup'], [arn('iot', 'thinggroup', props.fleetGroup)]);
    allow(f.ResolveModel, ['greengrass:ListDeployments', 'greengrass:GetDeployment'], ['*']);

    allow(f.PackageModel, ['sagemaker:DescribeModelPackage'], [modelPackages]);
    allow(f.PackageModel, ['s3:GetObject'], [objects(BucketPrefixes.models)]);
    allow(
      f.PackageModel,
      ['s3:GetObject', 's3:PutObject'],
      [objects(BucketPrefixes.components), objects(BucketPrefixes.recipes)],
    );
    allow(f.PackageModel, ['s3:ListBucket'], [props.bucket.bucketArn]);
    // kms:Sign / kms:GetPublicKey come from the signing key's key policy (SigningKey), nowhere else.

    allow(
      f.CreateComponentVersion,
      ['s3:GetObject'],
      [objects(BucketPrefixes.recipes), objects(BucketPrefixes.components)],
    );
    allow(f.CreateComponentVersion, ['s3:GetBucketLocation'], [props.bucket.bucketArn]);
    allow(
      f.CreateComponentVersion,
      ['greengrass:CreateComponentVersion', 'greengrass:DescribeComponent', 'greengrass:GetComponent'],
      [modelComponents, modelComponentVersions],
    );
    allow(f.CheckDeployable, ['greengrass:DescribeComponent'], [modelComponents, modelComponentVersions]);

    for (const [fn, group] of [
      [f.DeployCanary, props.canaryGroup],
      [f.DeployFleet, props.fleetGroup],
    ] as const) {
      const groupArn = arn('iot', 'thinggroup', group);
      allow(fn, ['iot:DescribeThingGroup'], [groupArn]);
      // Greengrass v2 deployment APIs: CreateDeployment/ListDeployments/GetDeployment authorize on the
      // deployment resource, whose id is unknown before creation: AWS requires "*" here.
      allow(
        fn,
        [
          'greengrass:CreateDeployment',
          'greengrass:ListDeployments',
          'greengrass:GetDeployment',
          'greengrass:TagResource',
        ],
        ['*'],
      );
      allow(
        fn,
        ['greengrass:DescribeComponent', 'greengrass:GetComponent'],
        [inferenceComponent, `${inferenceComponent}:versions:*`],
      );
      // What CreateDeployment does on the caller's behalf for a thing-group target: an IoT job on the
      // group. No thing or shadow rights: those would let a deploy function target single core devices
      // outside its group (Greengrass uses a thing's shadow only for a deployment to that one thing).
      allow(
        fn,
        ['iot:CreateJob', 'iot:DescribeJob', 'iot:UpdateJob', 'iot:CancelJob'],
        [arn('iot', 'job', '*'), groupArn],
      );
    }

    // UndoRollout: cancel the rollout's deployments and redeploy each group's previous one (both groups).
    const groupArns = [props.canaryGroup, props.fleetGroup].map((g) => arn('iot', 'thinggroup', g));
    allow(
      f.UndoRollout,
      [
        'greengrass:CancelDeployment',
        'greengrass:CreateDeployment',
        'greengrass:GetDeployment',
        'greengrass:ListDeployments',
        'greengrass:TagResource',
      ],
      ['*'],
    );
    allow(
      f.UndoRollout,
      ['greengrass:DescribeComponent', 'greengrass:GetComponent'],
      [modelComponents, modelComponentVersions, inferenceComponent, `${inferenceComponent}:versions:*`],
    );
    allow(
      f.UndoRollout,
      ['iot:CreateJob', 'iot:DescribeJob', 'iot:UpdateJob', 'iot:CancelJob'],
      [arn('iot', 'job', '*'), ...groupArns],
    );
    allow(f.UndoRollout, ['iot:DescribeThingGroup'], groupArns);

    // The quality gate's baseline falls back to a sample of the fleet's devices.
    allow(f.VerifyCanary, ['iot:ListThingsInThingGroup'], [arn('iot', 'thinggroup', props.fleetGroup)]);
    for (const [fn, group] of [
      [f.VerifyCanary, props.canaryGroup],
      [f.VerifyFleet, props.fleetGroup],
    ] as const) {
      const groupArn = arn('iot', 'thinggroup', group);
      allow(fn, ['iot:ListThingsInThingGroup', 'iot:DescribeThingGroup'], [groupArn]);
      // ListEffectiveDeployments' dependent actions: the deployment's IoT job and the device's thing.
      allow(
        fn,
        ['iot:DescribeJob', 'iot:DescribeJobExecution', 'iot:DescribeThing', 'iot:GetThingShadow'],
        [arn('iot', 'job', '*'), arn('iot', 'thing', '*')],
      );
      // Per-device Greengrass reads authorize on the core device ("*" required: devices are not known at
      // deploy time and the actions support no narrower resource than the core device).
      allow(
        fn,
        ['greengrass:ListEffectiveDeployments', 'greengrass:ListInstalledComponents', 'greengrass:GetDeployment'],
        ['*'],
      );
      allow(fn, ['iot:GetRetainedMessage'], [arn('iot', 'topic', 'edgeqc/*/status')]);
      // DescribeEndpoint has no resource-level permissions (AWS requires "*").
      allow(fn, ['iot:DescribeEndpoint'], ['*']);
    }

    for (const fn of [f.Notify, f.NotifyFailure]) {
      allow(fn, ['sns:Publish'], [props.topic.topicArn]);
      allow(fn, ['kms:GenerateDataKey', 'kms:Decrypt'], [props.topicKey.keyArn]);
    }

    // Every wildcard above, with why it cannot be narrower.
    acknowledge(this, {
      'AwsSolutions-IAM5[Resource::*]':
        'Actions without resource-level permissions (AWS requires "*"): sagemaker:ListModelPackages, ' +
        'iot:DescribeEndpoint, greengrass:CreateDeployment/CancelDeployment/TagResource/ListDeployments/GetDeployment/' +
        'ListEffectiveDeployments/ListInstalledComponents, and X-Ray PutTraceSegments/PutTelemetryRecords ' +
        '(tracing). Each function has only the ones its step calls.',
    });
    acknowledgeWildcards(
      this,
      [modelPackages],
      'Model package versions of the configured group only: versions are created after deployment.',
    );
    acknowledgeWildcards(
      this,
      [objects(BucketPrefixes.models), objects(BucketPrefixes.components), objects(BucketPrefixes.recipes)],
      'One key prefix of the component bucket per purpose; object keys are versioned names unknown at deploy time.',
    );
    acknowledgeWildcards(
      this,
      [modelComponents, modelComponentVersions, inferenceComponent, `${inferenceComponent}:versions:*`],
      'Greengrass components of this project only (com.edgeqc.*); versions are created by each rollout.',
    );
    acknowledgeWildcards(
      this,
      [arn('iot', 'job', '*')],
      'CreateDeployment/CancelDeployment create and cancel an IoT job with a generated id (unknown at deploy time).',
    );
    acknowledgeWildcards(
      this,
      [arn('iot', 'thing', '*')],
      'VerifyCanary/VerifyFleet only (read-only DescribeThing/GetThingShadow for ListEffectiveDeployments): ' +
        'devices register themselves. No deploy function holds thing rights.',
    );
    acknowledgeWildcards(
      this,
      [arn('iot', 'topic', 'edgeqc/*/status')],
      'Retained status topic of every device (edgeqc/<thing>/status); things register themselves.',
    );
  }

  /** The role of a step's function. */
  roleOf(step: StepName): IRole {
    const role = this.byStep[step].role;
    if (!role) throw new Error(`function ${step} has no role`);
    return role;
  }
}
