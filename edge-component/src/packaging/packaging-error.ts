/** Errors of the agent packager (to be folded into edge-component/src/errors.ts by its owner). */
export class PackagingError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}
