/**
 * The BehaviourSource port over the local broker: the newest schema-valid edgeqc.metrics.v1 message of each
 * device under each model version, as the fleet observer (subscribed to edgeqc/+/metrics on the embedded
 * broker) last saw it; messages that failed the schema are counted per device, never returned. The same
 * quality gate code as in AWS reads it.
 */
import type { MetricsMessage } from '@edgeqc/edge-component/contracts';
import type { BehaviourSource } from '@edgeqc/orchestrator/ports';
import type { FleetObserver } from '../mqtt/fleet-observer.ts';

export class LocalBehaviourSource implements BehaviourSource {
  readonly #observer: FleetObserver;

  constructor(observer: FleetObserver) {
    this.#observer = observer;
  }

  async latest(query: { readonly thingNames: readonly string[]; readonly modelVersions: readonly string[] }) {
    const messages: MetricsMessage[] = [];
    let rejected = 0;
    for (const thing of new Set(query.thingNames)) {
      rejected += this.#observer.rejectedMetrics(thing);
      for (const version of new Set(query.modelVersions)) {
        const m = this.#observer.metrics(thing, version);
        if (m) messages.push(m);
      }
    }
    return { messages, rejected };
  }
}
