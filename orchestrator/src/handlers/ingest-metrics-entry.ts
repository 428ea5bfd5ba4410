/**
 * The metrics ingest function (not a state of the rollout): its entry file and the names infra shares
 * with it (environment, the table's key and TTL attributes, metric names). Infra imports these from
 * `@edgeqc/orchestrator/handlers`; nothing here loads the handler or an SDK.
 */
import { fileURLToPath } from 'node:url';
import type { HandlerEntry } from './entries.ts';

export const ingestMetricsEntry: HandlerEntry = Object.freeze({
  entry: fileURLToPath(new URL('./ingest-metrics.ts', import.meta.url)),
  handler: 'handler' as const,
});

export const IngestEnvNames = {
  /** The DynamoDB table of the newest message per device and model version. */
  MetricsTable: 'EDGEQC_METRICS_TABLE',
  /** CloudWatch namespace of the metrics. Default `edgeqc`. */
  MetricsNamespace: 'EDGEQC_METRICS_NAMESPACE',
  /** The rollout's thing groups, comma-separated, in order: a device's metrics group is the first it is in. */
  MetricsGroups: 'EDGEQC_METRICS_GROUPS',
  /** Days a stored message lives (DynamoDB TTL). Default 30. */
  MetricsTtlDays: 'EDGEQC_METRICS_TTL_DAYS',
} as const;

/** The metrics table: partition key thingName, sort key modelVersion, TTL attribute expiresAt (epoch s). */
export const METRICS_TABLE = Object.freeze({
  partitionKey: 'thingName',
  sortKey: 'modelVersion',
  ttlAttribute: 'expiresAt',
  /** The message as received (JSON text). */
  messageAttribute: 'message',
  publishedAtAttribute: 'publishedAt',
  /** Messages of this device and version the ingest rejected (a number). */
  rejectedAttribute: 'rejected',
});

export const DEFAULT_METRICS_NAMESPACE = 'edgeqc';

export { METRIC_DIMENSIONS, METRIC_NAMES, NO_GROUP } from '../domain/metrics-ingest.ts';
