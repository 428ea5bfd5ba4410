/**
 * The decision records in DynamoDB: one item per message id (partition key `messageId`), the record as
 * gzip-compressed JSON (`record`, binary: a record keeps up to 100 log entries of up to 300 boxes, which
 * plain JSON could take past DynamoDB's 400 KB item limit), and beside it the plain attributes an
 * operator queries by (`revision`, `thingName`, `modelVersion`, `capturedAt`, `verdict`, `decidedAt`).
 *
 * Optimistic concurrency is DynamoDB's conditional write: a record is put only when the stored
 * `revision` is the one the change was based on (or, for the first decision, when no item exists), so
 * of two reviewers deciding at once exactly one is stored and the other gets a conflict with what is
 * stored now; nothing is overwritten.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { currentDecision, type DecisionRecord } from '../domain/index.ts';
import { ReviewCode, ReviewError, StoreCorruptError } from '../errors.ts';
import type { DecisionQuery, DecisionStore, PutResult } from '../ports.ts';

export interface DynamoDbDecisionStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

type Item = Record<string, AttributeValue>;

function toItem(record: DecisionRecord): Item {
  const current = currentDecision(record);
  return {
    messageId: { S: record.messageId },
    revision: { N: String(record.revision) },
    record: { B: gzipSync(JSON.stringify(record)) },
    thingName: { S: record.subject.thingName },
    modelVersion: { S: record.subject.modelVersion },
    capturedAt: { S: record.subject.capturedAt },
    verdict: { S: current?.verdict ?? 'pending' },
    ...(current ? { decidedAt: { S: current.decidedAt } } : {}),
  };
}

function fromItem(item: Item): DecisionRecord {
  const id = item.messageId?.S ?? '(no messageId)';
  const bytes = item.record?.B;
  if (bytes === undefined) throw new StoreCorruptError(`decision item ${id}: expected a binary 'record' attribute`);
  let record: DecisionRecord;
  try {
    record = JSON.parse(gunzipSync(bytes).toString('utf8')) as DecisionRecord;
  } catch (err) {
    throw new StoreCorruptError(`decision item ${id}: 'record' is not gzip-compressed JSON`, err);
  }
  if (record.messageId !== item.messageId?.S || record.revision !== Number(item.revision?.N)) {
    throw new StoreCorruptError(
      `decision item ${id}: the record says ${record.messageId} revision ${record.revision}, the item revision ${item.revision?.N}`,
    );
  }
  return record;
}

export class DynamoDbDecisionStore implements DecisionStore {
  readonly #o: DynamoDbDecisionStoreOptions;

  constructor(options: DynamoDbDecisionStoreOptions) {
    if (!/^[A-Za-z0-9_.-]{3,255}$/.test(options.tableName)) {
      throw new ReviewError(
        ReviewCode.BadOptions,
        `decision table ${JSON.stringify(options.tableName)}: expected a DynamoDB table name (3-255 letters, digits, "_", "-", ".")`,
      );
    }
    this.#o = options;
  }

  async get(messageId: string): Promise<DecisionRecord | undefined> {
    const out = await this.#o.client.send(
      new GetItemCommand({ TableName: this.#o.tableName, Key: { messageId: { S: messageId } }, ConsistentRead: true }),
    );
    return out.Item === undefined ? undefined : fromItem(out.Item);
  }

  async put(record: DecisionRecord, expectedRevision: number): Promise<PutResult> {
    if (record.revision !== expectedRevision + 1) {
      throw new ReviewError(
        ReviewCode.BadOptions,
        `decision ${record.messageId}: revision ${record.revision} does not follow expectedRevision ${expectedRevision}`,
      );
    }
    const condition =
      expectedRevision === 0
        ? { ConditionExpression: 'attribute_not_exists(messageId)' }
        : {
            ConditionExpression: 'revision = :expected',
            ExpressionAttributeValues: { ':expected': { N: String(expectedRevision) } },
          };
    try {
      await this.#o.client.send(
        new PutItemCommand({ TableName: this.#o.tableName, Item: toItem(record), ...condition }),
      );
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) {
        return { kind: 'conflict', current: await this.get(record.messageId) };
      }
      throw err;
    }
    return { kind: 'stored', record };
  }

  async list(query: DecisionQuery): Promise<readonly DecisionRecord[]> {
    const out: DecisionRecord[] = [];
    let start: Item | undefined;
    do {
      const page = await this.#o.client.send(
        new ScanCommand({ TableName: this.#o.tableName, ConsistentRead: true, ExclusiveStartKey: start }),
      );
      for (const item of page.Items ?? []) out.push(fromItem(item));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    if (query.reviewerId === undefined) return out;
    const id = query.reviewerId;
    return out.filter((r) =>
      r.log.some((e) => (e.kind === 'decided' ? e.decision.reviewer.id === id : e.reviewer.id === id)),
    );
  }
}
