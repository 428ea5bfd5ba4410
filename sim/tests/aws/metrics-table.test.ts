/**
 * The metrics table against moto_server's DynamoDB (started here): the ingest (IoT rule event -> EMF line
 * + newest message per device and model version) and the quality gate's BehaviourSource reading it back,
 * validating each item again.
 */
import {
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import type { MetricsMessage } from '@edgeqc/edge-component/contracts';
import { createDynamoDbBehaviourSource } from '@edgeqc/orchestrator/adapters/dynamodb-behaviour-source';
import { createDynamoDbMetricsStore } from '@edgeqc/orchestrator/adapters/dynamodb-metrics-table';
import { createIngestMetricsHandler } from '@edgeqc/orchestrator/handler-factories';
import { METRICS_TABLE } from '@edgeqc/orchestrator/handlers';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MotoServer, startMotoServer } from '../../src/aws/moto-server.ts';

const TABLE = 'edgeqc-metrics';
const NOW = Date.parse('2026-12-07T18:10:00.000Z');

function metrics(thingName: string, version: string, publishedAt: string, unclear = 1): MetricsMessage {
  const images = 20;
  const defect = 4;
  return {
    schema: 'edgeqc.metrics.v1',
    messageId: `${thingName}-${version}-${publishedAt}`,
    thingName,
    publishedAt,
    model: { name: 'tag-scratch', version, sha256: 'a'.repeat(64), precision: 'int8' },
    modelSince: '2026-12-07T18:00:00.000Z',
    window: { start: '2026-12-07T18:05:00.000Z', end: publishedAt, seconds: 300, maxImages: 500 },
    images,
    verdicts: { ok: images - defect - unclear, defect, unclear },
    unclearRate: unclear / images,
    defectRate: defect / images,
    bestScore: {
      binEdges: [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1],
      counts: [15, 0, 0, 1, 0, 0, 0, 0, 1, 3],
    },
    detectionsPerImage: { mean: 0.3, max: 2 },
    latencyMs: { prepare: { p50: 9, p95: 14 }, inference: { p50: 21, p95: 30 } },
    quarantined: 0,
    errors: 0,
    sinceModel: {
      images: 40,
      verdicts: { ok: 30, defect: 8, unclear: 2 },
      bestScoreCounts: [30, 0, 1, 1, 0, 0, 0, 1, 2, 5],
      quarantined: 0,
      errors: 0,
    },
    drift: { baselineImages: 20, psi: 0.04, limit: 0.25, drifted: false },
  };
}

/** What the IoT rule hands the function: the payload base64, the thing of the topic. */
const ruleEvent = (payload: unknown, thingName: string) => ({
  payload: Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)).toString('base64'),
  thingName,
});

describe('metrics table on DynamoDB (against moto_server)', () => {
  let moto: MotoServer;
  let client: DynamoDBClient;
  const lines: string[] = [];
  let ingest: ReturnType<typeof createIngestMetricsHandler>;

  beforeAll(async () => {
    moto = await startMotoServer({ region: 'eu-west-1' });
    client = new DynamoDBClient(moto.config);
    await client.send(
      new CreateTableCommand({
        TableName: TABLE,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: METRICS_TABLE.partitionKey, KeyType: 'HASH' },
          { AttributeName: METRICS_TABLE.sortKey, KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: METRICS_TABLE.partitionKey, AttributeType: 'S' },
          { AttributeName: METRICS_TABLE.sortKey, AttributeType: 'S' },
        ],
      }),
    );
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: TABLE,
        TimeToLiveSpecification: { AttributeName: METRICS_TABLE.ttlAttribute, Enabled: true },
      }),
    );
    ingest = createIngestMetricsHandler({
      store: createDynamoDbMetricsStore(client, { tableName: TABLE, ttlDays: 30, now: () => NOW }),
      thingGroups: {
        groupsOf: async (thing) => (thing.startsWith('canary') ? ['canary', 'edgeqc-devices'] : ['fleet']),
      },
      groups: ['canary', 'fleet'],
      namespace: 'edgeqc',
      emit: (line) => lines.push(line),
      now: () => NOW,
      log: pino({ level: 'silent' }),
    });
  }, 60_000);
  afterAll(async () => {
    client?.destroy();
    await moto?.stop();
  });

  it('stores a trusted message with its TTL and emits its metrics per device, group and model version', async () => {
    lines.length = 0;
    const out = await ingest(ruleEvent(metrics('canary-1', '2.0.0', '2026-12-07T18:10:00.000Z'), 'canary-1'));
    expect(out).toEqual({ outcome: 'stored' });
    const emf = JSON.parse(lines[0] ?? '{}');
    expect(emf._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: 'edgeqc',
      Dimensions: [['Group', 'ModelVersion'], ['ThingName', 'ModelVersion'], ['Group']],
    });
    expect(emf).toMatchObject({
      Group: 'canary',
      ModelVersion: '2.0.0',
      ThingName: 'canary-1',
      Images: 20,
      Unclear: 1,
    });
    const item = await client.send(
      new GetItemCommand({
        TableName: TABLE,
        Key: { [METRICS_TABLE.partitionKey]: { S: 'canary-1' }, [METRICS_TABLE.sortKey]: { S: '2.0.0' } },
      }),
    );
    expect(Number(item.Item?.[METRICS_TABLE.ttlAttribute]?.N)).toBe(NOW / 1000 + 30 * 86_400);
  });

  it('keeps the newest message of a device and version: an older one arriving late does not replace it', async () => {
    await ingest(ruleEvent(metrics('line-1', '2.0.0', '2026-12-07T18:09:00.000Z', 2), 'line-1'));
    await ingest(ruleEvent(metrics('line-1', '2.0.0', '2026-12-07T18:10:00.000Z', 3), 'line-1'));
    const late = await ingest(ruleEvent(metrics('line-1', '2.0.0', '2026-12-07T18:08:00.000Z', 4), 'line-1'));
    expect(late).toEqual({ outcome: 'older' });
    const source = createDynamoDbBehaviourSource(client, TABLE);
    const { messages } = await source.latest({ thingNames: ['line-1'], modelVersions: ['2.0.0'] });
    expect(messages.map((m) => [m.publishedAt, m.verdicts.unclear])).toEqual([['2026-12-07T18:10:00.000Z', 3]]);
  });

  it('rejects, counts and never stores a message that fails the schema or names another thing', async () => {
    lines.length = 0;
    const broken = { ...metrics('line-2', '2.0.0', '2026-12-07T18:10:00.000Z'), unclearRate: 7 };
    expect(await ingest(ruleEvent(broken, 'line-2'))).toMatchObject({ outcome: 'rejected', reason: /unclearRate/ });
    const spoofed = metrics('line-3', '2.0.0', '2026-12-07T18:10:00.000Z');
    expect(await ingest(ruleEvent(spoofed, 'line-2'))).toMatchObject({
      outcome: 'rejected',
      reason: /not the thing of the topic/,
    });
    expect(await ingest(ruleEvent('not json {', 'line-2'))).toMatchObject({ outcome: 'rejected', reason: /not JSON/ });
    expect(lines.map((l) => JSON.parse(l).RejectedMessages)).toEqual([1, 1, 1]);
    const source = createDynamoDbBehaviourSource(client, TABLE);
    const got = await source.latest({ thingNames: ['line-2', 'line-3'], modelVersions: ['2.0.0'] });
    // Two of the three named a version (the JSON one did not): counted on line-2's item, nothing stored.
    expect(got).toEqual({ messages: [], rejected: 2 });
  });

  it('BehaviourSource validates each stored item again: a corrupted or mismatched item is counted, not returned', async () => {
    const put = (thing: string, version: string, message: string) =>
      client.send(
        new PutItemCommand({
          TableName: TABLE,
          Item: {
            [METRICS_TABLE.partitionKey]: { S: thing },
            [METRICS_TABLE.sortKey]: { S: version },
            [METRICS_TABLE.messageAttribute]: { S: message },
          },
        }),
      );
    await put('line-4', '2.0.0', '{"schema":"edgeqc.metrics.v1"}');
    await put('line-5', '2.0.0', JSON.stringify(metrics('line-5', '1.0.0', '2026-12-07T18:10:00.000Z')));
    await put('line-6', '2.0.0', JSON.stringify(metrics('line-6', '2.0.0', '2026-12-07T18:10:00.000Z')));
    const source = createDynamoDbBehaviourSource(client, TABLE);
    const got = await source.latest({
      thingNames: ['line-4', 'line-5', 'line-6', 'line-missing'],
      modelVersions: ['2.0.0', '1.0.0'],
    });
    expect(got.messages.map((m) => m.thingName)).toEqual(['line-6']);
    expect(got.rejected).toBe(2);
  });

  it('reads more devices than one BatchGetItem holds', async () => {
    const things = Array.from({ length: 130 }, (_, i) => `bulk-${i}`);
    const store = createDynamoDbMetricsStore(client, { tableName: TABLE, ttlDays: 30, now: () => NOW });
    for (const t of things) await store.put(metrics(t, '2.0.0', '2026-12-07T18:10:00.000Z'));
    const got = await createDynamoDbBehaviourSource(client, TABLE).latest({
      thingNames: things,
      modelVersions: ['2.0.0'],
    });
    expect(got.messages).toHaveLength(130);
    expect(got.rejected).toBe(0);
  }, 60_000);
});
