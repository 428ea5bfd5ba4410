/**
 * The agent's ports: small interfaces in front of every outside system. Adapters live in adapters/,
 * one file (or folder) per system; main.ts wires them; tests use fakes.
 */

/** QoS of a publish: 0 at most once, 1 at least once. */
export type Qos = 0 | 1;

export interface PublishRequest {
  readonly topic: string;
  readonly payload: Uint8Array;
  readonly qos: Qos;
  readonly retain?: boolean;
}

/**
 * Port: sends messages to the broker (MQTT 5 or 3.1.1 to a broker, or Greengrass IPC PublishToIoTCore).
 * `publish` resolves when the broker (or the nucleus) acknowledged a QoS 1 message, and rejects when it
 * could not be sent; the caller (the outbox) keeps the message and tries again.
 */
export interface Publisher {
  connect(): Promise<void>;
  publish(request: PublishRequest): Promise<void>;
  /** True while the publisher believes a publish can succeed. */
  isConnected(): boolean;
  /** Publishes nothing more; for MQTT, sends the retained `offline` status first when given. */
  close(finalMessage?: PublishRequest): Promise<void>;
}

/** The outcome of validating a configuration update before it is applied. */
export type ConfigVerdict = { readonly accepted: true } | { readonly accepted: false; readonly reason: string };

/**
 * Port: where the agent's configuration comes from (file/env/flags locally, Greengrass IPC
 * GetConfiguration + SubscribeToConfigurationUpdate + SubscribeToValidateConfigurationUpdates on a device).
 */
export interface ConfigSource {
  /** The raw (unvalidated) configuration object. */
  load(): Promise<unknown>;
  /**
   * Calls `validate` for every proposed update (Greengrass sends them before a deployment applies
   * them; a rejection fails the deployment) and `onChange` with every applied configuration.
   * Returns a function that stops listening.
   */
  watch(handlers: {
    validate(raw: unknown): ConfigVerdict;
    onChange(raw: unknown): void;
  }): Promise<() => Promise<void>>;
}

/** Port: tells the supervisor (Greengrass UpdateState) that the component is RUNNING or ERRORED. */
export interface LifecycleReporter {
  report(state: 'RUNNING' | 'ERRORED'): Promise<void>;
}

/** One image file in the camera folder that is complete (its size and mtime stopped changing). */
export interface CameraFile {
  /** Absolute path of the file inside the camera folder. */
  readonly path: string;
  readonly sizeBytes: number;
  readonly mtimeMs: number;
}

/**
 * Port: the camera folder. Pull-based: the consumer's pace is the backpressure (the source keeps a
 * bounded set of pending paths and rescans the folder later instead of growing without bound).
 *
 * `files` yields first the backlog present at start-up, oldest first, then new files as they land.
 * It never yields a file that is still being written (temp-name-then-rename and write-in-place both
 * handled), skips hidden and temporary names, and yields a path at most once while it stays in the
 * folder: call `markDone(path)` when the consumer moved or deleted it, so that a new file landing later
 * under the same name is yielded again. The iteration ends when `signal` is aborted.
 */
export interface CameraSource {
  files(signal: AbortSignal): AsyncIterable<CameraFile>;
  /** The consumer is finished with `path` (moved it out of the folder); forget it. */
  markDone(path: string): void;
}
