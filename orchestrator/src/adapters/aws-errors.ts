/**
 * AWS SDK errors -> the orchestrator's named errors: throttling and service-side failures become the
 * retryable ErrorNames.Throttled / ServiceUnavailable; anything else is returned untouched.
 */
import { ErrorNames, RolloutError } from '../errors.ts';

const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
  'SlowDown',
  'LimitExceededException',
]);
const UNAVAILABLE = new Set([
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalServerException',
  'InternalServerError',
  'InternalFailure',
  'InternalError',
  'KMSInternalException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
]);
const NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND']);

interface SdkErrorLike {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

/** The retryable RolloutError for a transient AWS failure, or the error itself. */
export function classifyAwsError(err: unknown, what: string): unknown {
  if (!(err instanceof Error) || err instanceof RolloutError) return err;
  const e = err as Error & SdkErrorLike;
  const status = e.$metadata?.httpStatusCode;
  if (THROTTLING.has(e.name) || e.$retryable?.throttling || status === 429) {
    return new RolloutError(ErrorNames.Throttled, e.name, `${what}: throttled by AWS (${e.name})`, { cause: err });
  }
  if (UNAVAILABLE.has(e.name) || (status !== undefined && status >= 500) || (e.code && NETWORK.has(e.code))) {
    return new RolloutError(
      ErrorNames.ServiceUnavailable,
      e.name,
      `${what}: AWS service error ${e.name}${status ? ` (HTTP ${status})` : ''}: ${e.message}`,
      { cause: err },
    );
  }
  return err;
}

/** Runs one SDK call; transient failures rethrown as retryable named errors. */
export async function awsCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw classifyAwsError(err, what);
  }
}

/** True when the SDK error is the given exception name (e.g. ResourceNotFoundException). */
export function isAwsError(err: unknown, ...names: string[]): boolean {
  return err instanceof Error && names.includes(err.name);
}

/** `s3://bucket/key` -> parts, or an InvalidInput error naming the URI. */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/.exec(uri);
  if (!m) throw new RolloutError(ErrorNames.InvalidInput, 'S3_URI', `'${uri}': expected s3://<bucket>/<key>`);
  return { bucket: m[1]!, key: m[2]! };
}
