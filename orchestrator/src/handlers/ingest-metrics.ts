/**
 * IngestMetrics: the IoT rule on `edgeqc/+/metrics` invokes this function with each message. A trusted
 * message becomes CloudWatch metrics (one EMF line on stdout, per device, group and model version) and
 * the newest stored message of its device and version (the quality gate's BehaviourSource reads it).
 * A rejected one becomes the `RejectedMessages` metric and a count on the item of the device and version
 * it claimed (when it names one), never a stored message. See domain/metrics-ingest.ts.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IoTClient } from '@aws-sdk/client-iot';
import type { Logger } from 'pino';
import { z } from 'zod';
import { createDynamoDbMetricsStore } from '../adapters/dynamodb-metrics-table.ts';
import { createIotThingGroups } from '../adapters/iot-thing-groups.ts';
import {
  decideMetricsEvent,
  type MetricsRuleEvent,
  metricsGroup,
  metricsRecord,
  rejectedRecord,
} from '../domain/metrics-ingest.ts';
import { ErrorNames, RolloutError } from '../errors.ts';
import type { MetricsStore, ThingGroups } from '../ports.ts';
import { DEFAULT_METRICS_NAMESPACE, IngestEnvNames } from './ingest-metrics-entry.ts';
import { defaultLogger } from './step.ts';

export interface IngestMetricsDeps {
  readonly store: MetricsStore;
  readonly thingGroups: ThingGroups;
  /** The rollout's groups in order (canary, fleet): a device's metrics group is the first it is in. */
  readonly groups: readonly string[];
  readonly namespace: string;
  /** Writes one EMF line (Lambda: stdout, which CloudWatch Logs turns into metrics). */
  readonly emit: (line: string) => void;
  readonly now?: () => number;
  readonly log?: Logger;
}

export type IngestOutcome = { readonly outcome: 'stored' | 'older' | 'rejected'; readonly reason?: string };

export function createIngestMetricsHandler(deps: IngestMetricsDeps): (event: unknown) => Promise<IngestOutcome> {
  const log = (deps.log ?? defaultLogger).child({ fn: 'IngestMetrics' });
  return async (event) => {
    const decision = decideMetricsEvent((event ?? {}) as MetricsRuleEvent);
    if (decision.kind === 'rejected') {
      deps.emit(JSON.stringify(rejectedRecord(decision, deps.namespace, (deps.now ?? Date.now)())));
      if (decision.modelVersion && decision.thingName !== '(unknown)') {
        await deps.store.countRejected(decision.thingName, decision.modelVersion);
      }
      log.warn({ thingName: decision.thingName, reason: decision.reason }, 'metrics message rejected');
      return { outcome: 'rejected', reason: decision.reason };
    }
    const m = decision.message;
    const group = metricsGroup(await deps.thingGroups.groupsOf(m.thingName), deps.groups);
    deps.emit(JSON.stringify(metricsRecord(m, group, deps.namespace)));
    return { outcome: await deps.store.put(m) };
  };
}

const EnvSchema = z.strictObject({
  table: z.string().min(3),
  namespace: z.string().min(1).max(255).default(DEFAULT_METRICS_NAMESPACE),
  groups: z.string().default('canary,fleet'),
  ttlDays: z.coerce.number().int().min(1).max(3650).default(30),
});

function configFrom(env: Readonly<Record<string, string | undefined>>) {
  const names = {
    table: IngestEnvNames.MetricsTable,
    namespace: IngestEnvNames.MetricsNamespace,
    groups: IngestEnvNames.MetricsGroups,
    ttlDays: IngestEnvNames.MetricsTtlDays,
  } as const;
  const raw = Object.fromEntries(
    Object.entries(names).flatMap(([k, n]) => (env[n] === undefined || env[n] === '' ? [] : [[k, env[n]]])),
  );
  const parsed = EnvSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue?.path[0] as keyof typeof names | undefined;
    throw new RolloutError(
      ErrorNames.Config,
      'ENV_INVALID',
      `environment ${key ? names[key] : '?'}=${key ? JSON.stringify(raw[key]) : ''}: ${issue?.message}`,
    );
  }
  return Object.freeze(parsed.data);
}

let built: ((event: unknown) => Promise<IngestOutcome>) | undefined;

export const handler = async (event: unknown): Promise<IngestOutcome> => {
  if (!built) {
    const c = configFrom(process.env);
    built = createIngestMetricsHandler({
      store: createDynamoDbMetricsStore(new DynamoDBClient({}), { tableName: c.table, ttlDays: c.ttlDays }),
      thingGroups: createIotThingGroups(new IoTClient({})),
      groups: c.groups
        .split(',')
        .map((g) => g.trim())
        .filter(Boolean),
      namespace: c.namespace,
      emit: (line) => process.stdout.write(`${line}\n`),
    });
  }
  return built(event);
};
