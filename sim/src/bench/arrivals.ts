/**
 * Watches one device's topics on the broker for the benchmark and the demo: when each inspection
 * arrived (by image file name), the error events, and the latest status. An inspection that reaches a
 * subscriber was taken by the broker (the agent publishes at QoS 1), so its arrival time is the end of
 * "file dropped -> message acknowledged" (at most the broker's forwarding time later).
 */
import { subscribeMqtt } from '@edgeqc/edge-component/adapters/mqtt-subscriber';
import {
  type ErrorEvent,
  ErrorEventSchema,
  type Inspection,
  InspectionSchema,
  type Status,
  StatusSchema,
} from '@edgeqc/edge-component/contracts';

export interface Arrival {
  readonly inspection: Inspection;
  readonly atMs: number;
}

export interface DeviceWatcher {
  /** Resolves with the arrival of the inspection of `file` (already arrived: at once). */
  inspection(file: string): Promise<Arrival>;
  /** Resolves with the error event that names `file` (already arrived: at once). */
  errorFor(file: string): Promise<ErrorEvent>;
  /** Resolves with the first status for which `predicate` holds. */
  status(predicate: (s: Status) => boolean): Promise<Status>;
  readonly errors: readonly ErrorEvent[];
  /** Every inspection, every error event and every status, in arrival order (raw topic and payload). */
  onMessage(listener: (topic: string, payload: Uint8Array) => void): void;
  close(): Promise<void>;
}

export async function watchDevice(url: string, topicPrefix: string): Promise<DeviceWatcher> {
  const subscription = await subscribeMqtt({ url, topicFilter: `${topicPrefix}/+`, maxBuffered: 100_000 });
  const arrived = new Map<string, Arrival>();
  const waiters = new Map<string, (a: Arrival) => void>();
  const statusWaiters: Array<{ predicate: (s: Status) => boolean; resolve: (s: Status) => void }> = [];
  const errors: ErrorEvent[] = [];
  const errorWaiters = new Map<string, (e: ErrorEvent) => void>();
  const listeners: Array<(topic: string, payload: Uint8Array) => void> = [];
  const decoder = new TextDecoder();

  const loop = (async () => {
    for await (const m of subscription.messages) {
      const atMs = performance.now();
      for (const l of listeners) l(m.topic, m.payload);
      let json: unknown;
      try {
        json = JSON.parse(decoder.decode(m.payload));
      } catch {
        continue;
      }
      if (m.topic.endsWith('/inspections')) {
        const r = InspectionSchema.safeParse(json);
        if (!r.success) continue;
        const arrival = { inspection: r.data, atMs };
        arrived.set(r.data.image.file, arrival);
        waiters.get(r.data.image.file)?.(arrival);
        waiters.delete(r.data.image.file);
      } else if (m.topic.endsWith('/errors')) {
        const r = ErrorEventSchema.safeParse(json);
        if (!r.success) continue;
        errors.push(r.data);
        if (r.data.file !== undefined) {
          errorWaiters.get(r.data.file)?.(r.data);
          errorWaiters.delete(r.data.file);
        }
      } else if (m.topic.endsWith('/status')) {
        const r = StatusSchema.safeParse(json);
        if (!r.success) continue;
        for (const w of [...statusWaiters]) {
          if (w.predicate(r.data)) {
            statusWaiters.splice(statusWaiters.indexOf(w), 1);
            w.resolve(r.data);
          }
        }
      }
    }
  })();

  return {
    inspection(file) {
      const a = arrived.get(file);
      if (a) return Promise.resolve(a);
      return new Promise((resolve) => waiters.set(file, resolve));
    },
    errorFor(file) {
      const e = errors.find((x) => x.file === file);
      if (e) return Promise.resolve(e);
      return new Promise((resolve) => errorWaiters.set(file, resolve));
    },
    status(predicate) {
      return new Promise((resolve) => statusWaiters.push({ predicate, resolve }));
    },
    errors,
    onMessage(listener) {
      listeners.push(listener);
    },
    async close() {
      await subscription.close();
      await loop;
    },
  };
}
