/**
 * MetricsStore over DynamoDB: one item per device and model version (METRICS_TABLE's keys) holding the
 * newest message (a conditional update: an older publishedAt never overwrites a newer one), its TTL, and
 * the count of rejected messages that claimed that device and version.
 */
import { ConditionalCheckFailedException, DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { METRICS_TABLE as T } from '../handlers/ingest-metrics-entry.ts';
import type { MetricsStore } from '../ports.ts';
import { awsCall } from './aws-errors.ts';

export interface DynamoDbMetricsStoreOptions {
  readonly tableName: string;
  /** Days an item lives after its last write (TTL). */
  readonly ttlDays: number;
  /** Epoch milliseconds; default Date.now. */
  readonly now?: () => number;
}

export function createDynamoDbMetricsStore(
  client: Pick<DynamoDBClient, 'send'> = new DynamoDBClient({}),
  o: DynamoDbMetricsStoreOptions,
): MetricsStore {
  const expiresAt = () => String(Math.floor((o.now ?? Date.now)() / 1000) + o.ttlDays * 86_400);
  return {
    async put(message) {
      try {
        await awsCall(`DynamoDB UpdateItem ${o.tableName}`, () =>
          client.send(
            new UpdateItemCommand({
              TableName: o.tableName,
              Key: { [T.partitionKey]: { S: message.thingName }, [T.sortKey]: { S: message.model.version } },
              UpdateExpression: 'SET #m = :m, #p = :p, #e = :e',
              ConditionExpression: 'attribute_not_exists(#p) OR #p < :p',
              ExpressionAttributeNames: {
                '#m': T.messageAttribute,
                '#p': T.publishedAtAttribute,
                '#e': T.ttlAttribute,
              },
              ExpressionAttributeValues: {
                ':m': { S: JSON.stringify(message) },
                ':p': { S: message.publishedAt },
                ':e': { N: expiresAt() },
              },
            }),
          ),
        );
        return 'stored';
      } catch (err) {
        if (
          err instanceof ConditionalCheckFailedException ||
          (err as Error).name === 'ConditionalCheckFailedException'
        ) {
          return 'older';
        }
        throw err;
      }
    },
    async countRejected(thingName, modelVersion) {
      await awsCall(`DynamoDB UpdateItem ${o.tableName}`, () =>
        client.send(
          new UpdateItemCommand({
            TableName: o.tableName,
            Key: { [T.partitionKey]: { S: thingName }, [T.sortKey]: { S: modelVersion } },
            UpdateExpression: 'ADD #r :one SET #e = :e',
            ExpressionAttributeNames: { '#r': T.rejectedAttribute, '#e': T.ttlAttribute },
            ExpressionAttributeValues: { ':one': { N: '1' }, ':e': { N: expiresAt() } },
          }),
        ),
      );
    },
  };
}
