/**
 * Is a stage (canary or fleet) done, still rolling out, or failed? Pure, over device assessments.
 *   canary: no devices -> CanaryEmpty; any failed device -> CanaryUnhealthy; all healthy -> done;
 *           past the deadline -> CanaryTimeout; else wait.
 *   fleet:  deployment CANCELED/FAILED (the IoT job's abort criteria fired) or failed devices at or above
 *           the abort percentage -> FleetUnhealthy; nobody pending -> done (a few failed devices below
 *           the threshold were rolled back by Greengrass and are reported); past the deadline ->
 *           FleetTimeout; else wait.
 */
import { type ErrorName, ErrorNames } from '../errors.ts';
import type { DeviceAssessment } from './device-assessment.ts';

export interface StageDecision {
  readonly outcome: 'done' | 'waiting' | 'failed';
  readonly errorName?: ErrorName;
  readonly summary: string;
  readonly healthy: number;
  readonly pending: number;
  readonly failed: number;
}

export interface StageContext {
  readonly stage: 'canary' | 'fleet';
  readonly now: Date;
  readonly deadline: Date;
  /** Fleet only: percentage of devices whose failure fails the stage. */
  readonly abortPercent?: number;
  /** Status of the Greengrass deployment (ACTIVE, CANCELED, FAILED, ...). */
  readonly deploymentStatus?: string;
}

const MAX_LISTED = 5;

function list(devices: readonly DeviceAssessment[]): string {
  const shown = devices.slice(0, MAX_LISTED).map((d) => `${d.thingName}: ${d.reason}`);
  const more = devices.length > MAX_LISTED ? `; and ${devices.length - MAX_LISTED} more` : '';
  return shown.join('; ') + more;
}

export function assessStage(devices: readonly DeviceAssessment[], ctx: StageContext): StageDecision {
  const failed = devices.filter((d) => d.verdict === 'failed');
  const pending = devices.filter((d) => d.verdict === 'pending');
  const healthy = devices.length - failed.length - pending.length;
  const counts = { healthy, pending: pending.length, failed: failed.length };
  const fail = (errorName: ErrorName, summary: string): StageDecision => ({
    outcome: 'failed',
    errorName,
    summary,
    ...counts,
  });
  const of = `${devices.length} ${ctx.stage} device(s)`;

  if (ctx.stage === 'canary') {
    if (devices.length === 0)
      return fail(ErrorNames.CanaryEmpty, 'the canary group has no devices: nothing can prove the model');
    if (failed.length > 0) return fail(ErrorNames.CanaryUnhealthy, `${failed.length} of ${of} failed: ${list(failed)}`);
    if (pending.length === 0) return { outcome: 'done', summary: `all ${of} serve the new model`, ...counts };
    if (ctx.now.getTime() > ctx.deadline.getTime()) {
      return fail(
        ErrorNames.CanaryTimeout,
        `${pending.length} of ${of} did not report the new model by ${ctx.deadline.toISOString()}: ${list(pending)}`,
      );
    }
    return {
      outcome: 'waiting',
      summary: `${healthy}/${devices.length} healthy, waiting for ${list(pending)}`,
      ...counts,
    };
  }

  if (ctx.deploymentStatus === 'CANCELED' || ctx.deploymentStatus === 'FAILED') {
    return fail(
      ErrorNames.FleetUnhealthy,
      `the fleet deployment is ${ctx.deploymentStatus} (abort criteria reached)${failed.length ? `: ${list(failed)}` : ''}`,
    );
  }
  const abortPercent = ctx.abortPercent ?? 10;
  if (devices.length > 0 && (failed.length * 100) / devices.length >= abortPercent) {
    return fail(
      ErrorNames.FleetUnhealthy,
      `${failed.length} of ${of} failed, at or above the abort threshold of ${abortPercent}%: ${list(failed)}`,
    );
  }
  if (pending.length === 0) {
    const note = failed.length ? `; ${failed.length} rolled back: ${list(failed)}` : '';
    return { outcome: 'done', summary: `${healthy} of ${of} serve the new model${note}`, ...counts };
  }
  if (ctx.now.getTime() > ctx.deadline.getTime()) {
    return fail(
      ErrorNames.FleetTimeout,
      `${pending.length} of ${of} did not report the new model by ${ctx.deadline.toISOString()}: ${list(pending)}`,
    );
  }
  return {
    outcome: 'waiting',
    summary: `${healthy}/${devices.length} healthy, ${failed.length} failed, ${pending.length} pending`,
    ...counts,
  };
}
