/**
 * The ModelRollout state machine, built from CDK state constructs. Task states are named by the
 * orchestrator's StepNames (the local runner binds by them); every Task retries the shared transient
 * error names with exponential backoff and catches everything else into a Pass that records the failed
 * step's name, then UndoRollout (cancel the rollout's deployments, redeploy each group's previous one),
 * then NotifyFailure, then Fail. ResolveModel also retries RolloutBusyError slowly: it is the concurrency
 * guard (an earlier RUNNING execution of this machine blocks a later one), and it waits as long as the
 * execution may run, so rollouts of a group go one at a time, in the order they were approved.
 */

import {
  BUSY_ERROR_NAMES,
  ChoicePaths,
  RETRYABLE_ERROR_NAMES,
  type StepName,
  StepNames,
} from '@edgeqc/orchestrator/handlers';
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  Choice,
  Condition,
  DefinitionBody,
  Fail,
  JitterType,
  JsonPath,
  LogLevel,
  Pass,
  Result,
  type RetryProps,
  StateMachine,
  StateMachineType,
  Succeed,
  Wait,
  WaitTime,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { acknowledge, acknowledgeWildcards } from './nag.ts';

/** Names of the states that are not Tasks (a contract with the local runner and `rollout status`). */
export const FlowStateNames = {
  RecordExecution: 'RecordExecution',
  ModelFound: 'ModelFound',
  Deployable: 'Deployable',
  WaitBeforeRecheck: 'WaitBeforeRecheck',
  CanaryVerified: 'CanaryVerified',
  WaitForCanary: 'WaitForCanary',
  FleetVerified: 'FleetVerified',
  WaitForFleet: 'WaitForFleet',
  RolloutSucceeded: 'RolloutSucceeded',
  RolloutFailed: 'RolloutFailed',
} as const;

/** Lambda's own transient invoke errors (the service, throttling, the SDK). */
export const LAMBDA_TRANSIENT_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
] as const;

/** Transient: 2, 4, 8, 16, 32, 64 s (full jitter, capped at 2 minutes). */
export const TRANSIENT_RETRY: RetryProps = {
  errors: [...RETRYABLE_ERROR_NAMES, ...LAMBDA_TRANSIENT_ERRORS],
  interval: Duration.seconds(2),
  maxAttempts: 6,
  backoffRate: 2,
  maxDelay: Duration.minutes(2),
  jitterStrategy: JitterType.FULL,
};

/** Whole-execution timeout by default: a waiting rollout, the canary (with its bake) and the fleet. */
export const DEFAULT_EXECUTION_TIMEOUT = Duration.hours(24);

/** Seconds between checks while an earlier rollout of the group runs. */
export const BUSY_RETRY_INTERVAL = Duration.seconds(60);

/**
 * Another rollout of the group is running: check again every minute for as long as the execution may
 * run (it never gives up early, so a waiting rollout cannot be overtaken by a later one that started
 * after the earlier one ended).
 */
export function busyRetry(executionTimeout: Duration): RetryProps {
  return {
    errors: [...BUSY_ERROR_NAMES],
    interval: BUSY_RETRY_INTERVAL,
    maxAttempts: Math.ceil(executionTimeout.toSeconds() / BUSY_RETRY_INTERVAL.toSeconds()),
    backoffRate: 1,
  };
}

export interface RolloutStateMachineProps {
  readonly functions: Readonly<Record<StepName, IFunction>>;
  /** The machine's name (ResolveModel's permission names it). */
  readonly stateMachineName: string;
  /** Seconds between CheckDeployable checks. Default 10. */
  readonly deployableRecheckSeconds?: number;
  /** Seconds between VerifyCanary checks. Default 30. */
  readonly canaryRecheckSeconds?: number;
  /** Seconds between VerifyFleet checks. Default 60. */
  readonly fleetRecheckSeconds?: number;
  /** Whole-execution timeout. Default 24 hours (busy wait + canary and its bake + fleet). */
  readonly timeout?: Duration;
}

export class RolloutStateMachine extends Construct {
  readonly stateMachine: StateMachine;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: RolloutStateMachineProps) {
    super(scope, id);
    const fn = props.functions;
    const timeout = props.timeout ?? DEFAULT_EXECUTION_TIMEOUT;

    const rolloutFailed = new Fail(this, FlowStateNames.RolloutFailed, {
      error: 'RolloutFailed',
      causePath: JsonPath.stringAt('$.failure.Cause'),
    });
    const notifyFailure = new LambdaInvoke(this, StepNames.NotifyFailure, {
      lambdaFunction: fn.NotifyFailure,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
    });
    notifyFailure.addRetry(TRANSIENT_RETRY);
    // If even the notification fails, the execution still fails (with the original error kept).
    notifyFailure.addCatch(rolloutFailed, { resultPath: '$.notifyFailure' });
    notifyFailure.next(rolloutFailed);

    // Every failure after ResolveModel: undo what was deployed, then notify (an undo that fails is
    // notified too, under $.undoFailure).
    const undo = new LambdaInvoke(this, StepNames.UndoRollout, {
      lambdaFunction: fn.UndoRollout,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
    });
    undo.addRetry(TRANSIENT_RETRY);
    undo.addCatch(notifyFailure, { errors: ['States.ALL'], resultPath: '$.undoFailure' });
    undo.next(notifyFailure);

    const task = (step: Exclude<StepName, 'NotifyFailure' | 'UndoRollout'>) => {
      const t = new LambdaInvoke(this, step, {
        lambdaFunction: fn[step],
        payloadResponseOnly: true,
        retryOnServiceExceptions: false,
      });
      if (step === StepNames.ResolveModel) t.addRetry(busyRetry(timeout));
      t.addRetry(TRANSIENT_RETRY);
      const recordStep = new Pass(this, `${step}Failed`, {
        comment: `Records that ${step} failed, for the failure notification.`,
        result: Result.fromString(step),
        resultPath: '$.failedStep',
      });
      recordStep.next(undo);
      t.addCatch(recordStep, { errors: ['States.ALL'], resultPath: '$.failure' });
      return t;
    };

    const recordExecution = new Pass(this, FlowStateNames.RecordExecution, {
      comment: 'The execution id and start, so ResolveModel can yield to an earlier running rollout.',
      parameters: {
        id: JsonPath.stringAt('$$.Execution.Id'),
        stateMachine: JsonPath.stringAt('$$.StateMachine.Id'),
        startTime: JsonPath.stringAt('$$.Execution.StartTime'),
      },
      resultPath: '$.execution',
    });

    const notify = task(StepNames.Notify);
    notify.next(new Succeed(this, FlowStateNames.RolloutSucceeded));

    const resolve = task(StepNames.ResolveModel);
    const packageModel = task(StepNames.PackageModel);
    const createVersion = task(StepNames.CreateComponentVersion);
    const checkDeployable = task(StepNames.CheckDeployable);
    const deployCanary = task(StepNames.DeployCanary);
    const verifyCanary = task(StepNames.VerifyCanary);
    const deployFleet = task(StepNames.DeployFleet);
    const verifyFleet = task(StepNames.VerifyFleet);

    const waitDeployable = new Wait(this, FlowStateNames.WaitBeforeRecheck, {
      time: WaitTime.duration(Duration.seconds(props.deployableRecheckSeconds ?? 10)),
    });
    waitDeployable.next(checkDeployable);
    const waitCanary = new Wait(this, FlowStateNames.WaitForCanary, {
      time: WaitTime.duration(Duration.seconds(props.canaryRecheckSeconds ?? 30)),
    });
    waitCanary.next(verifyCanary);
    const waitFleet = new Wait(this, FlowStateNames.WaitForFleet, {
      time: WaitTime.duration(Duration.seconds(props.fleetRecheckSeconds ?? 60)),
    });
    waitFleet.next(verifyFleet);

    const definition = recordExecution.next(resolve).next(
      new Choice(this, FlowStateNames.ModelFound)
        .when(Condition.booleanEquals(ChoicePaths.modelFound, false), notify)
        .otherwise(
          packageModel
            .next(createVersion)
            .next(checkDeployable)
            .next(
              new Choice(this, FlowStateNames.Deployable)
                .when(
                  Condition.booleanEquals(ChoicePaths.deployable, true),
                  deployCanary
                    .next(verifyCanary)
                    .next(
                      new Choice(this, FlowStateNames.CanaryVerified)
                        .when(
                          Condition.booleanEquals(ChoicePaths.canaryDone, true),
                          deployFleet
                            .next(verifyFleet)
                            .next(
                              new Choice(this, FlowStateNames.FleetVerified)
                                .when(Condition.booleanEquals(ChoicePaths.fleetDone, true), notify)
                                .otherwise(waitFleet),
                            ),
                        )
                        .otherwise(waitCanary),
                    ),
                )
                .otherwise(waitDeployable),
            ),
        ),
    );

    this.logGroup = new LogGroup(this, 'Logs', {
      logGroupName: `/aws/vendedlogs/states/${props.stateMachineName}`,
      retention: RetentionDays.SIX_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new StateMachine(this, 'Resource', {
      stateMachineName: props.stateMachineName,
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(definition),
      timeout,
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: LogLevel.ALL, includeExecutionData: true },
    });
    acknowledge(this, {
      'AwsSolutions-IAM5[Resource::*]':
        'X-Ray tracing (PutTraceSegments, PutTelemetryRecords, GetSampling*) and CloudWatch Logs delivery ' +
        '(CreateLogDelivery, ...) support no resource-level permissions: AWS requires "*".',
    });
    acknowledgeWildcards(
      this,
      Object.values(props.functions).map((f) => `${f.functionArn}:*`),
      'lambda:InvokeFunction on the rollout functions and their versions/aliases (CDK grants the qualified ARNs).',
    );
  }

  /** The machine's ARN from its name, without a reference to the machine (no dependency cycle). */
  static arnOf(scope: Construct, stateMachineName: string): string {
    return Stack.of(scope).formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: stateMachineName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }
}
