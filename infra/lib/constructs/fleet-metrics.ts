/**
 * How the models behave on the line, in the cloud: an IoT topic rule on `edgeqc/+/metrics` invokes the
 * IngestMetrics function (orchestrator), which turns each trusted edgeqc.metrics.v1 message into
 * CloudWatch metrics per device, group and model version (embedded metric format) and keeps the newest
 * message per device and version in a DynamoDB table (TTL) for the quality gate. Messages that fail the
 * schema are counted (`RejectedMessages`) and never stored. A dashboard, and per rollout group alarms on
 * the unclear rate, the defect rate and score drift (PSI) to the rollout's SNS topic.
 */
import { join } from 'node:path';
import {
  DEFAULT_METRICS_NAMESPACE,
  IngestEnvNames,
  ingestMetricsEntry,
  METRIC_DIMENSIONS,
  METRIC_NAMES,
  METRICS_TABLE,
} from '@edgeqc/orchestrator/handlers';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnTopicRule } from 'aws-cdk-lib/aws-iot';
import { Architecture, LoggingFormat, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { acknowledge, acknowledgeWildcards } from './nag.ts';
import { FUNCTION_RUNTIME, REPO_ROOT } from './rollout-functions.ts';

export interface FleetMetricsProps {
  /** The rollout's SNS topic: the alarms notify it. */
  readonly topic: ITopic;
  /** The rollout's thing groups, in order (a device's metrics group is the first it is in); one set of alarms each. */
  readonly groups: readonly string[];
  /** Topic filter of the metrics messages. Default `edgeqc/+/metrics` (the agent's default prefix). */
  readonly topicFilter?: string;
  /** CloudWatch namespace. Default `edgeqc`. */
  readonly namespace?: string;
  /** Alarm when a group's unclear rate (unclear / images over 5 min) reaches this. Default 0.2. */
  readonly unclearRateAlarm?: number;
  /** Alarm when a group's defect rate reaches this. Default 0.5. */
  readonly defectRateAlarm?: number;
  /** Alarm when any device of a group reports a score PSI at or above this. Default 0.25. */
  readonly scorePsiAlarm?: number;
  /** Images a group must have inspected in 5 min before its rates can alarm. Default 50. */
  readonly alarmMinImages?: number;
  /** Days a stored message lives (DynamoDB TTL). Default 30. */
  readonly messageTtlDays?: number;
  /** Removal policy of the table. Default RETAIN. */
  readonly removalPolicy?: RemovalPolicy;
  /** Log retention of the ingest function and the rule's error log. Default three months. */
  readonly logRetention?: RetentionDays;
}

const ESM_BANNER = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";
const PERIOD = Duration.minutes(5);

function check(key: string, value: number, ok: boolean, expected: string): void {
  if (!ok) throw new Error(`FleetMetrics ${key}=${value}: expected ${expected}`);
}

export class FleetMetrics extends Construct {
  readonly table: Table;
  readonly ingest: NodejsFunction;
  readonly rule: CfnTopicRule;
  readonly dashboard: Dashboard;
  /** The alarms, by `<group>:<UnclearRate|DefectRate|ScorePsi>`. */
  readonly alarms: Readonly<Record<string, Alarm>>;

  constructor(scope: Construct, id: string, props: FleetMetricsProps) {
    super(scope, id);
    const unclear = props.unclearRateAlarm ?? 0.2;
    const defect = props.defectRateAlarm ?? 0.5;
    const psi = props.scorePsiAlarm ?? 0.25;
    const minImages = props.alarmMinImages ?? 50;
    const ttlDays = props.messageTtlDays ?? 30;
    check('unclearRateAlarm', unclear, unclear > 0 && unclear <= 1, 'a rate in (0, 1]');
    check('defectRateAlarm', defect, defect > 0 && defect <= 1, 'a rate in (0, 1]');
    check('scorePsiAlarm', psi, psi > 0 && psi <= 10, 'a PSI in (0, 10]');
    check('alarmMinImages', minImages, Number.isInteger(minImages) && minImages >= 1, 'an integer >= 1');
    check(
      'messageTtlDays',
      ttlDays,
      Number.isInteger(ttlDays) && ttlDays >= 1 && ttlDays <= 3650,
      'an integer in 1..3650',
    );
    if (props.groups.length === 0) throw new Error('FleetMetrics groups: expected at least one thing group');
    const namespace = props.namespace ?? DEFAULT_METRICS_NAMESPACE;
    const topicFilter = props.topicFilter ?? 'edgeqc/+/metrics';
    const stack = Stack.of(this);

    this.table = new Table(this, 'Messages', {
      partitionKey: { name: METRICS_TABLE.partitionKey, type: AttributeType.STRING },
      sortKey: { name: METRICS_TABLE.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: METRICS_TABLE.ttlAttribute,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });

    const logGroup = new LogGroup(this, 'IngestLogs', {
      retention: props.logRetention ?? RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new Role(this, 'IngestRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'edgeqc metrics ingest (IoT rule -> CloudWatch metrics + DynamoDB)',
    });
    role.addToPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    role.addToPolicy(new PolicyStatement({ actions: ['dynamodb:UpdateItem'], resources: [this.table.tableArn] }));
    const things = stack.formatArn({ service: 'iot', resource: 'thing', resourceName: '*' });
    role.addToPolicy(new PolicyStatement({ actions: ['iot:ListThingGroupsForThing'], resources: [things] }));

    this.ingest = new NodejsFunction(this, 'Ingest', {
      role,
      entry: ingestMetricsEntry.entry,
      handler: ingestMetricsEntry.handler,
      runtime: FUNCTION_RUNTIME,
      architecture: Architecture.X86_64,
      description: 'edgeqc metrics ingest: edgeqc/+/metrics -> CloudWatch (EMF) + DynamoDB',
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      memorySize: 256,
      timeout: Duration.seconds(10),
      tracing: Tracing.ACTIVE,
      logGroup,
      // Text, not JSON: the EMF lines the function writes to stdout must reach CloudWatch Logs as they are.
      loggingFormat: LoggingFormat.TEXT,
      environment: {
        [IngestEnvNames.MetricsTable]: this.table.tableName,
        [IngestEnvNames.MetricsNamespace]: namespace,
        [IngestEnvNames.MetricsGroups]: props.groups.join(','),
        [IngestEnvNames.MetricsTtlDays]: String(ttlDays),
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        banner: ESM_BANNER,
        sourceMap: true,
        logLevel: LogLevel.WARNING,
        externalModules: [],
      },
    });

    // Rule actions that fail (the function throttled or failing) are logged, not lost silently.
    const ruleErrors = new LogGroup(this, 'RuleErrors', {
      retention: props.logRetention ?? RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const ruleRole = new Role(this, 'RuleErrorRole', {
      assumedBy: new ServicePrincipal('iot.amazonaws.com'),
      description: 'edgeqc metrics rule: write failed actions to its error log group',
    });
    ruleRole.addToPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
        resources: [ruleErrors.logGroupArn],
      }),
    );
    this.rule = new CfnTopicRule(this, 'Rule', {
      topicRulePayload: {
        description: `edgeqc metrics: ${topicFilter} -> IngestMetrics`,
        awsIotSqlVersion: '2016-03-23',
        // The payload as base64 (JSON or not, it reaches the function, which counts what it rejects) and the
        // thing of the topic (a device publishes only on its own topics: the function checks the message says so).
        sql: `SELECT encode(*, 'base64') AS payload, topic(2) AS thingName FROM '${topicFilter}'`,
        ruleDisabled: false,
        actions: [{ lambda: { functionArn: this.ingest.functionArn } }],
        errorAction: { cloudwatchLogs: { logGroupName: ruleErrors.logGroupName, roleArn: ruleRole.roleArn } },
      },
    });
    this.ingest.addPermission('InvokedByRule', {
      principal: new ServicePrincipal('iot.amazonaws.com'),
      sourceArn: this.rule.attrArn,
      sourceAccount: stack.account,
    });

    acknowledge(this, {
      'AwsSolutions-IAM5[Resource::*]':
        'X-Ray PutTraceSegments/PutTelemetryRecords (tracing) have no resource-level permissions.',
    });
    acknowledgeWildcards(
      this,
      [things],
      'ListThingGroupsForThing of the device that published (any registered thing: devices register themselves).',
    );

    this.alarms = this.createAlarms(props, namespace, { unclear, defect, psi, minImages });
    this.dashboard = this.createDashboard(props, namespace);
  }

  /**
   * Lets a function read the newest messages (the quality gate's BehaviourSource: BatchGetItem) and tells
   * it the table (`EDGEQC_METRICS_TABLE`).
   */
  grantBehaviourRead(fn: NodejsFunction): void {
    fn.addToRolePolicy(new PolicyStatement({ actions: ['dynamodb:BatchGetItem'], resources: [this.table.tableArn] }));
    fn.addEnvironment(IngestEnvNames.MetricsTable, this.table.tableName);
  }

  private metric(namespace: string, name: string, group: string, statistic: string): Metric {
    return new Metric({
      namespace,
      metricName: name,
      dimensionsMap: { [METRIC_DIMENSIONS.Group]: group },
      statistic,
      period: PERIOD,
    });
  }

  private createAlarms(
    props: FleetMetricsProps,
    namespace: string,
    t: { unclear: number; defect: number; psi: number; minImages: number },
  ): Record<string, Alarm> {
    const out: Record<string, Alarm> = {};
    const action = new SnsAction(props.topic);
    for (const group of props.groups) {
      const images = this.metric(namespace, METRIC_NAMES.Images, group, 'Sum');
      const rate = (counted: string, label: string) =>
        new MathExpression({
          label,
          // Images-weighted over the group; 0 until the group has inspected enough images to judge.
          expression: `IF(images >= ${t.minImages}, counted / images, 0)`,
          usingMetrics: { images, counted: this.metric(namespace, counted, group, 'Sum') },
          period: PERIOD,
        });
      const alarm = (key: string, description: string, metric: MathExpression | Metric, threshold: number) => {
        const a = new Alarm(this, `${key}Alarm-${group}`, {
          alarmDescription: `edgeqc ${group}: ${description}`,
          metric,
          threshold,
          evaluationPeriods: 2,
          datapointsToAlarm: 2,
          comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        });
        a.addAlarmAction(action);
        out[`${group}:${key}`] = a;
      };
      alarm(
        'UnclearRate',
        `unclear rate at or above ${t.unclear} for 10 min`,
        rate(METRIC_NAMES.Unclear, 'unclear rate'),
        t.unclear,
      );
      alarm(
        'DefectRate',
        `defect rate at or above ${t.defect} for 10 min`,
        rate(METRIC_NAMES.Defect, 'defect rate'),
        t.defect,
      );
      alarm(
        'ScorePsi',
        `a device's score drift (PSI, window vs after deployment) at or above ${t.psi} for 10 min`,
        this.metric(namespace, METRIC_NAMES.ScorePsi, group, 'Maximum'),
        t.psi,
      );
    }
    return out;
  }

  private createDashboard(props: FleetMetricsProps, namespace: string): Dashboard {
    const { Group, ModelVersion } = METRIC_DIMENSIONS;
    const byVersion = (metric: string, stat: string, label: string) =>
      new MathExpression({
        label,
        expression: `SEARCH('{${namespace},${Group},${ModelVersion}} MetricName="${metric}"', '${stat}', 300)`,
        period: PERIOD,
      });
    const dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `${Stack.of(this).stackName}-model-behaviour`,
    });
    dashboard.addWidgets(
      new TextWidget({
        markdown:
          `# edgeqc: how each model behaves on the line\nPer group and model version (namespace \`${namespace}\`); ` +
          `alarms per group (${props.groups.join(', ')}) notify the rollout topic.`,
        width: 24,
        height: 2,
      }),
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Images inspected (sum per 5 min)',
        left: [byVersion(METRIC_NAMES.Images, 'Sum', 'images')],
        width: 12,
      }),
      new GraphWidget({
        title: 'Unclear rate (mean of devices)',
        left: [byVersion(METRIC_NAMES.UnclearRate, 'Average', 'unclear rate')],
        width: 12,
      }),
      new GraphWidget({
        title: 'Defect rate (mean of devices)',
        left: [byVersion(METRIC_NAMES.DefectRate, 'Average', 'defect rate')],
        width: 12,
      }),
      new GraphWidget({
        title: 'Score drift, PSI (worst device)',
        left: [byVersion(METRIC_NAMES.ScorePsi, 'Maximum', 'PSI')],
        width: 12,
      }),
      new GraphWidget({
        title: 'Inference p95 ms (worst device)',
        left: [byVersion(METRIC_NAMES.InferenceP95Ms, 'Maximum', 'p95')],
        width: 12,
      }),
      new GraphWidget({
        title: 'Quarantined and errors (sum)',
        left: [
          byVersion(METRIC_NAMES.Quarantined, 'Sum', 'quarantined'),
          byVersion(METRIC_NAMES.Errors, 'Sum', 'errors'),
        ],
        width: 12,
      }),
      new GraphWidget({
        title: 'Rejected metrics messages (failed the schema or named another thing)',
        left: [new Metric({ namespace, metricName: METRIC_NAMES.RejectedMessages, statistic: 'Sum', period: PERIOD })],
        width: 12,
      }),
      new GraphWidget({
        title: 'Ingest function errors and throttles',
        left: [this.ingest.metricErrors({ period: PERIOD }), this.ingest.metricThrottles({ period: PERIOD })],
        width: 12,
      }),
    );
    return dashboard;
  }
}
