/**
 * The open subscription streams of a nucleus IPC server, by component and operation: who gets a
 * configuration update or a proposed configuration, and a way to wait until a component has subscribed
 * (a test proposes a configuration only once the component listens for proposals).
 */
import { LocalModeError } from '../../errors.ts';

export type SubscriptionOperation = 'SubscribeToConfigurationUpdate' | 'SubscribeToValidateConfigurationUpdates';

export interface SubscriptionStream {
  /** Writes bytes to the subscriber's connection (nothing once it closed). */
  readonly send: (bytes: Uint8Array) => void;
  readonly streamId: number;
  /** The key path the subscriber asked for (configuration updates). */
  readonly keyPath: readonly string[];
}

export class IpcSubscriptions {
  readonly #streams = new Map<string, Set<SubscriptionStream>>();
  readonly #changed = new Set<() => void>();

  /** Registers a stream; the returned function removes it (stream terminated, connection closed). */
  add(component: string, operation: SubscriptionOperation, stream: SubscriptionStream): () => void {
    const key = `${component}\n${operation}`;
    const set = this.#streams.get(key) ?? new Set();
    set.add(stream);
    this.#streams.set(key, set);
    this.#notify();
    return () => {
      set.delete(stream);
      if (set.size === 0 && this.#streams.get(key) === set) this.#streams.delete(key);
    };
  }

  streams(component: string, operation: SubscriptionOperation): readonly SubscriptionStream[] {
    return [...(this.#streams.get(`${component}\n${operation}`) ?? [])];
  }

  /** Resolves once `component` has at least `count` open streams of `operation`. */
  async waitFor(component: string, operation: SubscriptionOperation, count: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.streams(component, operation).length < count) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new LocalModeError(
          'IPC_SUBSCRIBER_TIMEOUT',
          `${component} has ${this.streams(component, operation).length} ${operation} stream(s) after ${timeoutMs} ms, expected ${count}`,
        );
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.#changed.delete(done);
          resolve();
        };
        const timer = setTimeout(done, left);
        this.#changed.add(done);
      });
    }
  }

  #notify(): void {
    for (const done of [...this.#changed]) done();
  }
}
