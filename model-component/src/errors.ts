/**
 * Errors of the model-component workspace. Match on `code` or on the class, never on the message.
 */
export class ModelComponentError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A manifest that does not parse, does not match the schema, or is not in canonical form. */
export class ManifestError extends ModelComponentError {}

/** A signature file that is missing, malformed, from an unknown key, or does not verify. */
export class SignatureError extends ModelComponentError {}

/** A model that fails validation before packaging (does not load, wrong layout, non-finite output...). */
export class ModelValidationError extends ModelComponentError {}

/** Packaging the same name and version again with different bytes. */
export class ImmutableVersionError extends ModelComponentError {}

/** A recipe template that does not render, or a rendered recipe that is invalid or too large. */
export class RecipeError extends ModelComponentError {}

/** Bad command-line input (a missing flag, a file that cannot be read). */
export class UsageError extends ModelComponentError {}
