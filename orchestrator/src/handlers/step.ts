/**
 * The frame every handler runs in: parse the input state, run the step's logic, and turn what it
 * throws into a named error Step Functions can retry or catch (message prefixed with `[<Step>]`, so
 * that the failure notification can name the step).
 */
import pino, { type Logger } from 'pino';
import type { z } from 'zod';
import { classifyAwsError } from '../adapters/aws-errors.ts';
import type { StepName } from '../domain/rollout-state.ts';
import { ErrorNames, RolloutError } from '../errors.ts';

/** model-component errors by class name -> our error names. */
const PACKAGING_ERRORS: Readonly<Record<string, (typeof ErrorNames)[keyof typeof ErrorNames]>> = {
  ModelValidationError: ErrorNames.ModelInvalid,
  ManifestError: ErrorNames.ModelInvalid,
  RecipeError: ErrorNames.ModelInvalid,
  SignatureError: ErrorNames.ModelInvalid,
  ImmutableVersionError: ErrorNames.VersionConflict,
};

export function toStepError(step: StepName, err: unknown): Error {
  const classified = classifyAwsError(err, step);
  if (classified instanceof RolloutError) {
    classified.step ??= step;
    if (!classified.message.startsWith('[')) classified.message = `[${step}] ${classified.message}`;
    return classified;
  }
  if (classified instanceof Error) {
    const mapped = PACKAGING_ERRORS[classified.name];
    const code = (classified as { code?: unknown }).code;
    if (mapped) {
      return new RolloutError(
        mapped,
        typeof code === 'string' ? code : classified.name,
        `[${step}] ${classified.message}`,
        {
          cause: classified,
          step,
        },
      );
    }
    if (!classified.message.startsWith('[')) classified.message = `[${step}] ${classified.message}`;
    return classified;
  }
  return new Error(`[${step}] ${String(classified)}`);
}

export type StepHandler<I, O> = (input: I) => Promise<O>;

export const defaultLogger: Logger = pino({ name: 'edgeqc-orchestrator' });

export function defineStep<S extends z.ZodType, O>(
  step: StepName,
  schema: S,
  run: (input: z.infer<S>, log: Logger) => Promise<O>,
  logger: Logger = defaultLogger,
): StepHandler<unknown, O> {
  const log = logger.child({ step });
  return async (raw: unknown) => {
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new RolloutError(
        ErrorNames.InvalidInput,
        'STATE_INVALID',
        `[${step}] input ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
        { step },
      );
    }
    const started = performance.now();
    try {
      const out = await run(parsed.data, log);
      log.info({ ms: Math.round(performance.now() - started) }, 'step done');
      return out;
    } catch (err) {
      const e = toStepError(step, err);
      log.error({ err: e, ms: Math.round(performance.now() - started) }, 'step failed');
      throw e;
    }
  };
}

/** A Lambda entry that wires its dependencies once, on the first invocation (never at import). */
export function lambdaEntry<O>(build: () => StepHandler<unknown, O>): (event: unknown) => Promise<O> {
  let handler: StepHandler<unknown, O> | undefined;
  return async (event: unknown) => {
    handler ??= build();
    return handler(event);
  };
}
