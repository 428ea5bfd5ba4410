/**
 * The pipeline stack: a model approved in the SageMaker Model Registry becomes a signed Greengrass
 * component rolled out to the `canary` then the `fleet` thing group by the ModelRollout state machine.
 */

import { EnvNames, StepNames } from '@edgeqc/orchestrator/handlers';
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { EventField, Rule, RuleTargetInput } from 'aws-cdk-lib/aws-events';
import { SfnStateMachine } from 'aws-cdk-lib/aws-events-targets';
import { AccountRootPrincipal, PolicyDocument, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnThingGroup } from 'aws-cdk-lib/aws-iot';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ComponentBucket } from './constructs/component-bucket.ts';
import { FleetMetrics, type FleetMetricsProps } from './constructs/fleet-metrics.ts';
import { acknowledge } from './constructs/nag.ts';
import { RolloutFunctions, type RolloutFunctionsProps } from './constructs/rollout-functions.ts';
import { RolloutStateMachine } from './constructs/rollout-state-machine.ts';
import { keyAdministrationStatements, SigningKey } from './constructs/signing-key.ts';

/** The event that starts a rollout. */
export const APPROVAL_DETAIL_TYPE = 'SageMaker Model Package State Change';

export interface PipelineStackProps extends StackProps {
  /** The SageMaker model package group whose approvals roll out. Default `tag-scratch`. */
  readonly modelPackageGroup?: string;
  /** Thing group of the canary devices. Default `canary`. */
  readonly canaryGroup?: string;
  /** Thing group of the fleet. Default `fleet`. */
  readonly fleetGroup?: string;
  /** com.edgeqc.Inference version to deploy. Default: the version each group already runs. */
  readonly inferenceComponentVersion?: string;
  /**
   * Seconds every canary device must stay healthy (heartbeat going on, error counts unchanged) before the
   * fleet is touched. Default: the handlers' default (600).
   */
  readonly canaryBakeSeconds?: number;
  /** The canary's quality gate, checked at synth (see RolloutFunctionsProps). Default: on, the handlers' limits. */
  readonly qualityGate?: RolloutFunctionsProps['qualityGate'];
  /** Email subscribed to rollout results. Default: none (subscribe later). */
  readonly notificationEmail?: string;
  /** Removal policy of the buckets and the signing key. Default RETAIN. */
  readonly removalPolicy?: RemovalPolicy;
  /** Thresholds and settings of the model-behaviour metrics, dashboard and alarms. Default: FleetMetrics' own. */
  readonly fleetMetrics?: Omit<FleetMetricsProps, 'topic' | 'groups' | 'removalPolicy'>;
}

export class PipelineStack extends Stack {
  readonly bucket: ComponentBucket;
  readonly signingKey: SigningKey;
  readonly functions: RolloutFunctions;
  readonly rollout: RolloutStateMachine;
  readonly topic: Topic;
  readonly metrics: FleetMetrics;
  readonly canaryGroupName: string;
  readonly fleetGroupName: string;
  readonly modelPackageGroup: string;

  constructor(scope: Construct, id: string, props: PipelineStackProps = {}) {
    super(scope, id, props);
    const modelPackageGroup = props.modelPackageGroup ?? 'tag-scratch';
    if (!/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/.test(modelPackageGroup)) {
      throw new Error(
        `modelPackageGroup '${modelPackageGroup}' is not a SageMaker model package group name (letters, digits, hyphens; 1-63)`,
      );
    }
    this.modelPackageGroup = modelPackageGroup;
    this.canaryGroupName = props.canaryGroup ?? 'canary';
    this.fleetGroupName = props.fleetGroup ?? 'fleet';

    this.bucket = new ComponentBucket(this, 'Components', { removalPolicy: props.removalPolicy });

    const topicKey = new Key(this, 'TopicKey', {
      description: 'edgeqc rollout notifications (SNS at rest)',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      // Instead of the default "the account may do kms:*": administration without CreateGrant or
      // PutKeyPolicy (keyAdministrationStatements), and use only through identity policies that say so
      // (the Notify functions' roles).
      policy: new PolicyDocument({
        statements: [
          ...keyAdministrationStatements(this),
          new PolicyStatement({
            sid: 'UseThroughIdentityPolicies',
            principals: [new AccountRootPrincipal()],
            actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            resources: ['*'],
          }),
        ],
      }),
    });
    this.topic = new Topic(this, 'RolloutResults', {
      displayName: 'edgeqc model rollout results',
      masterKey: topicKey,
      enforceSSL: true,
    });
    // CloudWatch alarm actions publish to the encrypted topic.
    topicKey.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    if (props.notificationEmail) this.topic.addSubscription(new EmailSubscription(props.notificationEmail));

    const stateMachineName = `${this.stackName}-ModelRollout`;
    this.functions = new RolloutFunctions(this, 'Steps', {
      bucket: this.bucket.bucket,
      topic: this.topic,
      topicKey,
      modelPackageGroup,
      canaryGroup: this.canaryGroupName,
      fleetGroup: this.fleetGroupName,
      stateMachineArn: RolloutStateMachine.arnOf(this, stateMachineName),
      inferenceComponentVersion: props.inferenceComponentVersion,
      canaryBakeSeconds: props.canaryBakeSeconds,
      qualityGate: props.qualityGate,
    });
    this.signingKey = new SigningKey(this, 'Signing', {
      signer: this.functions.roleOf(StepNames.PackageModel),
      removalPolicy: props.removalPolicy,
    });
    this.functions.byStep.PackageModel.addEnvironment(EnvNames.SigningKeyId, this.signingKey.key.keyArn);

    this.rollout = new RolloutStateMachine(this, 'ModelRollout', {
      functions: this.functions.byStep,
      stateMachineName,
    });

    this.metrics = new FleetMetrics(this, 'FleetMetrics', {
      ...props.fleetMetrics,
      topic: this.topic,
      groups: [this.canaryGroupName, this.fleetGroupName],
      removalPolicy: props.removalPolicy,
    });
    // The quality gate (VerifyCanary) and the fleet check's sample (VerifyFleet) read the newest messages.
    this.metrics.grantBehaviourRead(this.functions.byStep.VerifyCanary);
    this.metrics.grantBehaviourRead(this.functions.byStep.VerifyFleet);
    new CfnOutput(this, 'MetricsTableName', {
      description: 'newest edgeqc.metrics.v1 message per device and model version (the quality gate reads it)',
      value: this.metrics.table.tableName,
    });

    const deadLetters = new Queue(this, 'TriggerDeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(deadLetters, {
      'AwsSolutions-SQS3': 'This queue is the dead-letter queue (of the approval rule target); it needs none.',
    });
    new Rule(this, 'ModelApproved', {
      description: `Starts the rollout when a model package of ${modelPackageGroup} is Approved`,
      eventPattern: {
        source: ['aws.sagemaker'],
        detailType: [APPROVAL_DETAIL_TYPE],
        detail: { ModelPackageGroupName: [modelPackageGroup], ModelApprovalStatus: ['Approved'] },
      },
      targets: [
        new SfnStateMachine(this.rollout.stateMachine, {
          input: RuleTargetInput.fromObject({
            modelPackageArn: EventField.fromPath('$.detail.ModelPackageArn'),
            modelPackageGroupName: EventField.fromPath('$.detail.ModelPackageGroupName'),
          }),
          deadLetterQueue: deadLetters,
          retryAttempts: 4,
          maxEventAge: Duration.hours(2),
        }),
      ],
    });

    const failed = new Alarm(this, 'RolloutFailedAlarm', {
      alarmDescription: 'A model rollout execution failed, timed out or was aborted',
      metric: this.rollout.stateMachine.metricFailed({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    failed.addAlarmAction(new SnsAction(this.topic));
    const timedOut = new Alarm(this, 'RolloutTimedOutAlarm', {
      alarmDescription: 'A model rollout execution timed out',
      metric: this.rollout.stateMachine.metricTimedOut({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    timedOut.addAlarmAction(new SnsAction(this.topic));

    new CfnOutput(this, 'ComponentBucketName', {
      description: 'publish-model / package-agent --bucket',
      value: this.bucket.bucket.bucketName,
    });
    new CfnOutput(this, 'StateMachineArn', {
      description: 'rollout start/status --state-machine (or EDGEQC_STATE_MACHINE_ARN)',
      value: this.rollout.stateMachine.stateMachineArn,
    });
    new CfnOutput(this, 'SigningKeyArn', {
      description: 'aws kms get-public-key --key-id <this>: the public key devices trust (trustedKeys)',
      value: this.signingKey.key.keyArn,
    });
    new CfnOutput(this, 'ResultsTopicArn', { description: 'subscribe to rollout results', value: this.topic.topicArn });

    for (const [id, name] of [
      ['CanaryGroup', this.canaryGroupName],
      ['FleetGroup', this.fleetGroupName],
    ] as const) {
      new CfnThingGroup(this, id, {
        thingGroupName: name,
        thingGroupProperties: { thingGroupDescription: `edgeqc ${name} devices (Greengrass core devices)` },
      });
    }
  }
}
