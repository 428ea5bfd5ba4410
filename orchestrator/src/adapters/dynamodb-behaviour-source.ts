/**
 * BehaviourSource over the metrics table (written by the metrics ingest from the IoT rule): one
 * BatchGetItem per 100 device-and-version keys. Each stored message is validated again with
 * MetricsSchema and must name the device and version of its key; one that does not is counted in
 * `rejected` and never returned, and so are the rejections the ingest counted on the item.
 */
import { type AttributeValue, BatchGetItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type MetricsMessage, MetricsSchema } from '@edgeqc/edge-component/contracts';
import { METRICS_TABLE as T } from '../handlers/ingest-metrics-entry.ts';
import type { BehaviourSource } from '../ports.ts';
import { awsCall } from './aws-errors.ts';

/** BatchGetItem's largest request. */
const BATCH_KEYS = 100;
/** Rounds for the keys DynamoDB leaves unprocessed (under load) before giving up. */
const MAX_ROUNDS = 8;

type Item = Record<string, AttributeValue>;

function trusted(item: Item): MetricsMessage | undefined {
  const text = item[T.messageAttribute]?.S;
  if (text === undefined) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = MetricsSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const m = parsed.data;
  return m.thingName === item[T.partitionKey]?.S && m.model.version === item[T.sortKey]?.S ? m : undefined;
}

export function createDynamoDbBehaviourSource(
  client: Pick<DynamoDBClient, 'send'> = new DynamoDBClient({}),
  tableName: string,
): BehaviourSource {
  return {
    async latest(query) {
      const keys: Item[] = query.thingNames.flatMap((thing) =>
        [...new Set(query.modelVersions)].map((version) => ({
          [T.partitionKey]: { S: thing },
          [T.sortKey]: { S: version },
        })),
      );
      const items: Item[] = [];
      for (let i = 0; i < keys.length; i += BATCH_KEYS) {
        let pending: Item[] = keys.slice(i, i + BATCH_KEYS);
        for (let round = 0; pending.length > 0; round++) {
          if (round >= MAX_ROUNDS) {
            throw new Error(
              `DynamoDB BatchGetItem ${tableName}: ${pending.length} key(s) still unprocessed after ${MAX_ROUNDS} rounds`,
            );
          }
          const out = await awsCall(`DynamoDB BatchGetItem ${tableName}`, () =>
            client.send(
              new BatchGetItemCommand({ RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true } } }),
            ),
          );
          items.push(...(out.Responses?.[tableName] ?? []));
          pending = out.UnprocessedKeys?.[tableName]?.Keys ?? [];
        }
      }
      const messages: MetricsMessage[] = [];
      let rejected = 0;
      for (const item of items) {
        rejected += Number(item[T.rejectedAttribute]?.N ?? 0);
        if (item[T.messageAttribute] === undefined) continue;
        const m = trusted(item);
        if (m) messages.push(m);
        else rejected++;
      }
      return { messages, rejected };
    },
  };
}
