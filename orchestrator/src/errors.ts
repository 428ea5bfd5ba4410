/**
 * Errors of the orchestrator. Step Functions matches a Lambda error by its name (the Node runtime
 * reports `error.name` as errorType), so every name the state machine retries or catches is a constant
 * here, shared by the handlers (which throw them) and infra (which uses them in addRetry/addCatch).
 * Never retype these strings; never match on message text.
 */

export const ErrorNames = {
  /** An AWS API throttled the call (ThrottlingException, TooManyRequests, SlowDown...). Retry with backoff. */
  Throttled: 'ThrottledError',
  /** An AWS API failed on its side (5xx, InternalServerException) or the network failed. Retry with backoff. */
  ServiceUnavailable: 'ServiceUnavailableError',
  /** The state passed to a step is not what the step expects. */
  InvalidInput: 'InvalidInputError',
  /** Wiring is wrong: a missing or malformed environment variable. */
  Config: 'ConfigError',
  /** The model package ARN does not exist. */
  ModelNotFound: 'ModelNotFoundError',
  /** The model package is not Approved (anymore). */
  ModelNotApproved: 'ModelNotApprovedError',
  /** The model file failed validation or packaging (bad ONNX, wrong layout, missing labels...). */
  ModelInvalid: 'ModelInvalidError',
  /** An immutable artifact or component version already exists with different bytes. */
  VersionConflict: 'VersionConflictError',
  /** Greengrass reports the component version FAILED (e.g. an artifact it cannot read). */
  ComponentFailed: 'ComponentFailedError',
  /** The component version did not become DEPLOYABLE in time. */
  ComponentTimeout: 'ComponentTimeoutError',
  /** CreateDeployment was refused, or the group's deployment cannot be built (no inference component). */
  DeploymentRejected: 'DeploymentRejectedError',
  /** A canary device failed, rolled back, runs another model, or reports a failing self-test. */
  CanaryUnhealthy: 'CanaryUnhealthyError',
  /** The canary devices did not all report the new model in time. */
  CanaryTimeout: 'CanaryTimeoutError',
  /**
   * The canary's quality gate refused the model: its unclear or defect rate rose, or its score histogram
   * moved, beyond the limits against the baseline; or too few images under it for a judgement.
   */
  QualityGateFailed: 'QualityGateFailedError',
  /** The canary group has no devices: nothing can prove the model. */
  CanaryEmpty: 'CanaryEmptyError',
  /** The fleet rollout reached its abort threshold, or fleet devices failed. */
  FleetUnhealthy: 'FleetUnhealthyError',
  /** The fleet devices did not all report the new model in time. */
  FleetTimeout: 'FleetTimeoutError',
  /**
   * An earlier execution for the same model group is still running: this one must not interleave.
   * Retry it with a long interval (minutes), see BUSY_ERROR_NAMES.
   */
  RolloutBusy: 'RolloutBusyError',
  /**
   * The model version is not newer than the one the fleet serves (an old version re-approved, or an
   * older rollout that waited behind a newer one): never deployed. A return to older weights is a new
   * release with a higher version.
   */
  ModelOutdated: 'ModelOutdatedError',
  /** Undoing a failed rollout (cancel, redeploy the previous deployment) failed: act by hand. */
  UndoFailed: 'UndoFailedError',
} as const;

export type ErrorName = (typeof ErrorNames)[keyof typeof ErrorNames];

/** Transient: the state machine retries these with exponential backoff. */
export const RETRYABLE_ERROR_NAMES: readonly ErrorName[] = [ErrorNames.Throttled, ErrorNames.ServiceUnavailable];

/** Another rollout of the group is running: retry with a long interval (e.g. 60 s, many attempts). */
export const BUSY_ERROR_NAMES: readonly ErrorName[] = [ErrorNames.RolloutBusy];

/** Everything else this workspace throws: no retry, straight to the failure notification. */
export const FATAL_ERROR_NAMES: readonly ErrorName[] = Object.values(ErrorNames).filter(
  (n) => !RETRYABLE_ERROR_NAMES.includes(n) && !BUSY_ERROR_NAMES.includes(n),
);

export function isRetryable(err: unknown): boolean {
  return err instanceof Error && (RETRYABLE_ERROR_NAMES as readonly string[]).includes(err.name);
}

/** Base error: `name` is one of ErrorNames, `code` a stable finer reason, `cause` the original error. */
export class RolloutError extends Error {
  override readonly name: ErrorName;
  readonly code: string;
  /** The state machine step that failed, when known. */
  step?: string;
  constructor(name: ErrorName, code: string, message: string, options?: { cause?: unknown; step?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = name;
    this.code = code;
    if (options?.step) this.step = options.step;
  }
}

export const rolloutError =
  (name: ErrorName) =>
  (code: string, message: string, options?: { cause?: unknown; step?: string }): RolloutError =>
    new RolloutError(name, code, message, options);

/** Bad command-line input: names the flag or argument and what is expected. */
export class UsageError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UsageError';
    this.code = code;
  }
}
