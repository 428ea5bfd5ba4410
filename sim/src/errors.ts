/**
 * Errors of the one-machine mode (simulated devices, local adapters, the local runner). Each has a
 * stable `code`; callers match on `name`/`code`, never on the message.
 */
export class LocalModeError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LocalModeError';
    this.code = code;
  }
}

/** A simulated core device could not apply a deployment (or was given a bad one). */
export class LocalDeviceError extends LocalModeError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'LocalDeviceError';
  }
}

/** A local adapter (registry, artifact store, catalog, fleet) refused a request. */
export class LocalAdapterError extends LocalModeError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'LocalAdapterError';
  }
}
