import { IngestEnvNames, METRIC_NAMES, METRICS_TABLE } from '@edgeqc/orchestrator/handlers';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { beforeAll, describe, expect, it } from 'vitest';
import { FleetMetrics, type FleetMetricsProps } from '../lib/constructs/fleet-metrics.ts';
import { FEATURE_FLAGS } from '../lib/feature-flags.ts';
import { BUNDLING_STACKS_CONTEXT } from '../lib/synth.ts';
import { cfnLint, nagFindings } from './support/checks.ts';

type Resource = { Type: string; Properties?: Record<string, unknown> };
type Statement = { Action: string | string[]; Resource?: unknown };
const list = <T>(v: T | T[]) => (Array.isArray(v) ? v : [v]);

/** FleetMetrics alone in a stack (bundling skipped), beside a plain topic. */
function alone(props: Partial<FleetMetricsProps> = {}) {
  const app = new App({ context: { ...FEATURE_FLAGS, [BUNDLING_STACKS_CONTEXT]: [] } });
  const stack = new Stack(app, 'MetricsOnly', { env: { account: '123456789012', region: 'eu-west-1' } });
  const topic = new Topic(stack, 'Results');
  const metrics = new FleetMetrics(stack, 'FleetMetrics', { topic, groups: ['canary', 'fleet'], ...props });
  return { stack, topic, metrics, template: Template.fromStack(stack) };
}

let m: ReturnType<typeof alone>;

beforeAll(() => {
  m = alone();
  // Synthesizing takes seconds on a busy shared machine.
}, 180_000);

// The stack-level wiring (VerifyCanary may BatchGetItem the table, one more function) is asserted in
// pipeline-stack.test.ts with every other function's rights.
describe('fleet metrics: IoT rule, ingest function, table, alarms, dashboard', () => {
  it('routes every edgeqc/+/metrics message, JSON or not, with the topic thing, to the ingest function', () => {
    const rules = m.template.findResources('AWS::IoT::TopicRule');
    expect(Object.keys(rules)).toHaveLength(1);
    const payload = (Object.values(rules)[0] as Resource).Properties?.TopicRulePayload as Record<string, unknown>;
    expect(payload.Sql).toBe("SELECT encode(*, 'base64') AS payload, topic(2) AS thingName FROM 'edgeqc/+/metrics'");
    expect(payload.AwsIotSqlVersion).toBe('2016-03-23');
    expect(payload.RuleDisabled).toBe(false);
    const fnArn = m.stack.resolve(m.metrics.ingest.functionArn);
    expect(payload.Actions).toEqual([{ Lambda: { FunctionArn: fnArn } }]);
    expect(payload.ErrorAction).toMatchObject({ CloudwatchLogs: { LogGroupName: expect.anything() } });
    m.template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'iot.amazonaws.com',
      FunctionName: fnArn,
      SourceArn: m.stack.resolve(m.metrics.rule.attrArn),
      SourceAccount: '123456789012',
    });
  });

  it('keeps the newest message per thing and model version in an on-demand table with TTL and PITR', () => {
    m.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: METRICS_TABLE.partitionKey, KeyType: 'HASH' },
        { AttributeName: METRICS_TABLE.sortKey, KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: METRICS_TABLE.ttlAttribute, Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
  });

  it('runs the ingest on Node.js 24 with text logs (EMF lines reach CloudWatch as written) and its settings', () => {
    m.template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: Match.objectLike({ LogFormat: 'Text' }),
      Environment: {
        Variables: {
          [IngestEnvNames.MetricsTable]: m.stack.resolve(m.metrics.table.tableName),
          [IngestEnvNames.MetricsNamespace]: 'edgeqc',
          [IngestEnvNames.MetricsGroups]: 'canary,fleet',
          [IngestEnvNames.MetricsTtlDays]: '30',
        },
      },
    });
  });

  it('gives the ingest exactly its actions: its logs, UpdateItem on the table, the thing groups of a thing', () => {
    const roleRef = JSON.stringify(m.stack.resolve(m.metrics.ingest.role!.roleName));
    const statements = Object.values(m.template.findResources('AWS::IAM::Policy') as Record<string, Resource>)
      .filter((p) => JSON.stringify(p.Properties?.Roles).includes(roleRef))
      .flatMap((p) => (p.Properties?.PolicyDocument as { Statement?: Statement[] } | undefined)?.Statement ?? []);
    const actions = [...new Set(statements.flatMap((s) => list(s.Action)))].sort();
    expect(actions).toEqual(
      [
        'dynamodb:UpdateItem',
        'iot:ListThingGroupsForThing',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ].sort(),
    );
    const update = statements.find((s) => list(s.Action).includes('dynamodb:UpdateItem'));
    expect(update?.Resource).toEqual(m.stack.resolve(m.metrics.table.tableArn));
  });

  it('alarms per group on the unclear rate, the defect rate and score drift, to the rollout topic', () => {
    const alarms = Object.values(m.template.findResources('AWS::CloudWatch::Alarm') as Record<string, Resource>);
    expect(alarms).toHaveLength(6);
    const topicRef = m.stack.resolve(m.topic.topicArn);
    for (const a of alarms) expect(a.Properties?.AlarmActions).toEqual([topicRef]);
    const json = JSON.stringify(alarms);
    for (const group of ['canary', 'fleet']) {
      m.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Threshold: 0.2,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Metrics: Match.arrayWith([
          Match.objectLike({ Expression: 'IF(images >= 50, counted / images, 0)' }),
          Match.objectLike({
            MetricStat: Match.objectLike({
              Metric: Match.objectLike({
                MetricName: METRIC_NAMES.Unclear,
                Dimensions: [{ Name: 'Group', Value: group }],
              }),
            }),
          }),
        ]),
      });
      m.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Threshold: 0.5,
        Metrics: Match.arrayWith([
          Match.objectLike({
            MetricStat: Match.objectLike({
              Metric: Match.objectLike({
                MetricName: METRIC_NAMES.Defect,
                Dimensions: [{ Name: 'Group', Value: group }],
              }),
            }),
          }),
        ]),
      });
      m.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: METRIC_NAMES.ScorePsi,
        Statistic: 'Maximum',
        Threshold: 0.25,
        Dimensions: [{ Name: 'Group', Value: group }],
      });
    }
    expect(json).not.toContain('TreatMissingData":"breaching');
  });

  it('draws a dashboard of the behaviour per group and model version, rejected messages included', () => {
    const dashboards = Object.values(
      m.template.findResources('AWS::CloudWatch::Dashboard') as Record<string, Resource>,
    );
    expect(dashboards).toHaveLength(1);
    const body = JSON.stringify(dashboards[0]?.Properties?.DashboardBody);
    for (const name of [
      METRIC_NAMES.UnclearRate,
      METRIC_NAMES.DefectRate,
      METRIC_NAMES.ScorePsi,
      METRIC_NAMES.RejectedMessages,
    ]) {
      expect(body).toContain(name);
    }
    expect(body).toContain('SEARCH(');
  });

  it('refuses thresholds out of range at synth, naming the key and the value', () => {
    expect(() => alone({ unclearRateAlarm: 1.5 })).toThrow(
      'FleetMetrics unclearRateAlarm=1.5: expected a rate in (0, 1]',
    );
    expect(() => alone({ defectRateAlarm: 0 })).toThrow('FleetMetrics defectRateAlarm=0: expected a rate in (0, 1]');
    expect(() => alone({ scorePsiAlarm: -1 })).toThrow('FleetMetrics scorePsiAlarm=-1');
    expect(() => alone({ alarmMinImages: 2.5 })).toThrow('FleetMetrics alarmMinImages=2.5: expected an integer >= 1');
    expect(() => alone({ messageTtlDays: 0 })).toThrow('FleetMetrics messageTtlDays=0');
  });

  it('is cdk-nag clean (AwsSolutions) and passes cfn-lint', () => {
    expect(nagFindings(m.stack).filter((f) => f.includes('/FleetMetrics/'))).toEqual([]);
    const { status, output } = cfnLint(m.template.toJSON(), 'fleet-metrics');
    expect(output).toBe('');
    expect(status).toBe(0);
    // cfn-lint starts Python and loads its specs: slow on a busy machine.
  }, 180_000);
});
