/**
 * From an edgeqc.metrics.v1 message, as the IoT rule hands it over (`SELECT encode(*, 'base64') AS
 * payload, topic(2) AS thingName FROM 'edgeqc/+/metrics'`), to CloudWatch metrics in embedded metric
 * format (EMF): pure. A message is trusted only when it is JSON, passes MetricsSchema and names the
 * thing whose topic it came on (a device may publish only on its own topics); anything else is
 * rejected, counted (metric `RejectedMessages`) and never stored.
 *
 * Dimensions: [Group, ModelVersion] (what the dashboard and the rollout compare), [ThingName,
 * ModelVersion] (per device) and [Group] (what the alarms watch, whatever the version). Group is the
 * first of the rollout's thing groups (canary, fleet) the device belongs to, else `none`.
 */
import { type MetricsMessage, MetricsSchema } from '@edgeqc/edge-component/contracts';

export const METRIC_NAMES = {
  Messages: 'Messages',
  Images: 'Images',
  Unclear: 'Unclear',
  Defect: 'Defect',
  UnclearRate: 'UnclearRate',
  DefectRate: 'DefectRate',
  ScorePsi: 'ScorePsi',
  Drifted: 'Drifted',
  Quarantined: 'Quarantined',
  Errors: 'Errors',
  InferenceP95Ms: 'InferenceP95Ms',
  RejectedMessages: 'RejectedMessages',
} as const;

export const METRIC_DIMENSIONS = { Group: 'Group', ModelVersion: 'ModelVersion', ThingName: 'ThingName' } as const;

/** The group of a device that is in none of the rollout's groups. */
export const NO_GROUP = 'none';

export interface MetricsRuleEvent {
  /** The message bytes, base64 (the rule's `encode(*, 'base64')`): JSON or not, it arrives. */
  readonly payload?: unknown;
  /** The thing the topic names (`topic(2)`). */
  readonly thingName?: unknown;
}

export type IngestDecision =
  | { readonly kind: 'accepted'; readonly message: MetricsMessage }
  | { readonly kind: 'rejected'; readonly thingName: string; readonly modelVersion?: string; readonly reason: string };

function modelVersionOf(raw: unknown): string | undefined {
  const model = raw && typeof raw === 'object' ? (raw as { model?: unknown }).model : undefined;
  const v = model && typeof model === 'object' ? (model as { version?: unknown }).version : undefined;
  return typeof v === 'string' && v.length > 0 && v.length <= 128 ? v : undefined;
}

export function decideMetricsEvent(event: MetricsRuleEvent): IngestDecision {
  const thingName = typeof event.thingName === 'string' && event.thingName ? event.thingName : '(unknown)';
  const reject = (reason: string, modelVersion?: string): IngestDecision => ({
    kind: 'rejected',
    thingName,
    reason,
    ...(modelVersion ? { modelVersion } : {}),
  });
  if (typeof event.payload !== 'string')
    return reject('no payload (the rule must select encode(*, base64) AS payload)');
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(event.payload, 'base64').toString('utf8'));
  } catch (err) {
    return reject(`payload is not JSON (${(err as Error).message})`);
  }
  const parsed = MetricsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return reject(
      `not an edgeqc.metrics.v1 message (${issue?.path.join('.') || 'payload'}: ${issue?.message})`,
      modelVersionOf(raw),
    );
  }
  if (parsed.data.thingName !== thingName) {
    return reject(
      `thingName '${parsed.data.thingName}' is not the thing of the topic ('${thingName}')`,
      parsed.data.model.version,
    );
  }
  return { kind: 'accepted', message: parsed.data };
}

/** The device's group for the metrics: the first of `rolloutGroups` it is in, else NO_GROUP. */
export function metricsGroup(thingGroups: readonly string[], rolloutGroups: readonly string[]): string {
  return rolloutGroups.find((g) => thingGroups.includes(g)) ?? NO_GROUP;
}

type Unit = 'Count' | 'None' | 'Milliseconds';

function emf(
  namespace: string,
  at: number,
  dimensions: string[][],
  metrics: Record<string, [number, Unit]>,
  props: Record<string, string>,
) {
  return {
    _aws: {
      Timestamp: at,
      CloudWatchMetrics: [
        {
          Namespace: namespace,
          Dimensions: dimensions,
          Metrics: Object.entries(metrics).map(([Name, [, Unit]]) => ({ Name, Unit })),
        },
      ],
    },
    ...props,
    ...Object.fromEntries(Object.entries(metrics).map(([name, [value]]) => [name, value])),
  };
}

/** One EMF record with every metric of a message, under the three dimension sets. */
export function metricsRecord(message: MetricsMessage, group: string, namespace: string): Record<string, unknown> {
  const { Group, ModelVersion, ThingName } = METRIC_DIMENSIONS;
  const m = METRIC_NAMES;
  const metrics: Record<string, [number, Unit]> = {
    [m.Messages]: [1, 'Count'],
    [m.Images]: [message.images, 'Count'],
    [m.Unclear]: [message.verdicts.unclear, 'Count'],
    [m.Defect]: [message.verdicts.defect, 'Count'],
    [m.UnclearRate]: [message.unclearRate, 'None'],
    [m.DefectRate]: [message.defectRate, 'None'],
    [m.Drifted]: [message.drift.drifted ? 1 : 0, 'Count'],
    [m.Quarantined]: [message.quarantined, 'Count'],
    [m.Errors]: [message.errors, 'Count'],
    [m.InferenceP95Ms]: [message.latencyMs.inference.p95, 'Milliseconds'],
  };
  if (message.drift.psi !== null) metrics[m.ScorePsi] = [message.drift.psi, 'None'];
  return emf(
    namespace,
    Date.parse(message.publishedAt),
    [[Group, ModelVersion], [ThingName, ModelVersion], [Group]],
    metrics,
    { [Group]: group, [ModelVersion]: message.model.version, [ThingName]: message.thingName },
  );
}

/** The EMF record of a rejected message: counted in total and per thing, with the reason as a property. */
export function rejectedRecord(
  decision: Extract<IngestDecision, { kind: 'rejected' }>,
  namespace: string,
  at: number,
): Record<string, unknown> {
  return emf(
    namespace,
    at,
    [[], [METRIC_DIMENSIONS.ThingName]],
    { [METRIC_NAMES.RejectedMessages]: [1, 'Count'] },
    { [METRIC_DIMENSIONS.ThingName]: decision.thingName, reason: decision.reason },
  );
}
