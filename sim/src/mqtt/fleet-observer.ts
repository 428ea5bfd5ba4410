/**
 * Watches the fleet's MQTT topics (edgeqc/+/status retained, edgeqc/+/inspections, edgeqc/+/errors,
 * edgeqc/+/metrics): the latest status per thing, every inspection per thing and the newest metrics
 * message per thing and model version, validated against the agent's message schemas (metrics that fail
 * theirs are counted per thing, never kept). The local FleetHealth and BehaviourSource read from it; the
 * demo and the end-to-end test count with it.
 */

import { type MqttSubscription, subscribeMqtt } from '@edgeqc/edge-component/adapters/mqtt-subscriber';
import {
  type Inspection,
  InspectionSchema,
  type MetricsMessage,
  MetricsSchema,
  type Status,
  StatusSchema,
} from '@edgeqc/edge-component/contracts';

export interface ObservedError {
  readonly thingName: string;
  readonly payload: unknown;
}

export class FleetObserver {
  readonly #statuses = new Map<string, Status>();
  readonly #inspections = new Map<string, Inspection[]>();
  readonly #errors: ObservedError[] = [];
  /** Newest valid metrics message per `<thing>@<model version>`. */
  readonly #metrics = new Map<string, MetricsMessage>();
  readonly #rejectedMetrics = new Map<string, number>();
  readonly #invalid: Array<{ topic: string; reason: string }> = [];
  readonly #listeners = new Set<() => void>();
  #subscription: MqttSubscription | undefined;
  #reading: Promise<void> | undefined;
  /** Called for every valid inspection (demo narration). */
  onInspection?: (inspection: Inspection) => void;
  onStatus?: (status: Status) => void;

  async start(brokerUrl: string, prefix = 'edgeqc'): Promise<void> {
    const subscription = await subscribeMqtt({ url: brokerUrl, topicFilter: `${prefix}/+/+` });
    this.#subscription = subscription;
    this.#reading = (async () => {
      for await (const m of subscription.messages) this.#receive(m.topic, m.payload);
    })();
  }

  async close(): Promise<void> {
    await this.#subscription?.close();
    await this.#reading;
    this.#subscription = undefined;
  }

  #receive(topic: string, payload: Uint8Array): void {
    const kind = topic.split('/').at(-1);
    const thing = topic.split('/').at(-2) ?? '';
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(payload));
    } catch {
      this.#invalid.push({ topic, reason: 'not JSON' });
      return;
    }
    if (kind === 'status') {
      const parsed = StatusSchema.safeParse(json);
      if (!parsed.success) {
        this.#invalid.push({ topic, reason: parsed.error.issues[0]?.message ?? 'invalid' });
        return;
      }
      this.#statuses.set(parsed.data.thingName, parsed.data);
      this.onStatus?.(parsed.data);
    } else if (kind === 'inspections') {
      const parsed = InspectionSchema.safeParse(json);
      if (!parsed.success) {
        this.#invalid.push({ topic, reason: parsed.error.issues[0]?.message ?? 'invalid' });
        return;
      }
      const list = this.#inspections.get(parsed.data.thingName) ?? [];
      list.push(parsed.data);
      this.#inspections.set(parsed.data.thingName, list);
      this.onInspection?.(parsed.data);
    } else if (kind === 'metrics') {
      const parsed = MetricsSchema.safeParse(json);
      if (!parsed.success || parsed.data.thingName !== thing) {
        this.#rejectedMetrics.set(thing, (this.#rejectedMetrics.get(thing) ?? 0) + 1);
        const reason = parsed.success ? `thingName ${parsed.data.thingName} on another thing's topic` : undefined;
        this.#invalid.push({ topic, reason: reason ?? parsed.error?.issues[0]?.message ?? 'invalid' });
        return;
      }
      const key = `${parsed.data.thingName}@${parsed.data.model.version}`;
      const seen = this.#metrics.get(key);
      if (!seen || Date.parse(parsed.data.publishedAt) >= Date.parse(seen.publishedAt)) {
        this.#metrics.set(key, parsed.data);
      }
    } else if (kind === 'errors') {
      this.#errors.push({ thingName: thing, payload: json });
    }
    for (const l of this.#listeners) l();
  }

  status(thingName: string): Status | undefined {
    return this.#statuses.get(thingName);
  }

  inspections(thingName: string): readonly Inspection[] {
    return this.#inspections.get(thingName) ?? [];
  }

  /** The newest valid metrics message of a thing under a model version. */
  metrics(thingName: string, modelVersion: string): MetricsMessage | undefined {
    return this.#metrics.get(`${thingName}@${modelVersion}`);
  }

  /** Metrics messages on a thing's topic that failed the schema. */
  rejectedMetrics(thingName: string): number {
    return this.#rejectedMetrics.get(thingName) ?? 0;
  }

  get errors(): readonly ObservedError[] {
    return this.#errors;
  }

  get invalid(): ReadonlyArray<{ topic: string; reason: string }> {
    return this.#invalid;
  }

  /** Resolves when `predicate` holds (checked on every message), or rejects after `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate()) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.#listeners.delete(check);
      };
      this.#listeners.add(check);
    });
  }
}
