/**
 * The fleet check at any size: is the fleet deployment done, still rolling out, or failed? Pure, over
 * three kinds of evidence whose cost does not grow with the fleet:
 *   - the deployment's IoT job counts (every device, exact: succeeded, failed, timed out, rejected, ...);
 *   - a bounded random sample of devices checked deeply (effective deployment, installed versions,
 *     retained status: what the job counts cannot see, e.g. a device whose deployment succeeded but whose
 *     agent serves the old model or failed the new model's self-test);
 *   - the group's size, counted once;
 *   - optionally, the sampled devices' own metrics under the new model (one table read): their
 *     inspections and failed inspections since the model started serving.
 *
 *   failed   deployment CANCELED/FAILED (the IoT job's abort criteria fired); job failures (failed +
 *            timed out + rejected) at or above the abort percentage of the group, or of the executed
 *            devices once `minExecuted` have executed; the sample's failure share at or above the abort
 *            percentage once `minSampleResolved` sampled devices are resolved (when the sample is the
 *            whole group: its failures over the group, exactly as a full check would); the sampled
 *            devices' failed inspections at or above the abort percentage of their inspections, once
 *            `minBehaviourImages` were made under the new model
 *   done     nothing queued or in progress, every member accounted for, every sampled device resolved
 *   timeout  past the deadline and not done
 *   waiting  otherwise
 */
import { type ErrorName, ErrorNames } from '../errors.ts';
import type { JobExecutionCounts } from '../ports.ts';
import type { DeviceAssessment } from './device-assessment.ts';

export interface FleetCheckInput {
  /** Greengrass deployment status (ACTIVE, CANCELED, FAILED, ...). */
  readonly deploymentStatus: string;
  readonly jobCounts: JobExecutionCounts;
  /** Members of the fleet group. */
  readonly groupSize: number;
  /** The deep per-device verdicts of the sampled devices. */
  readonly sample: readonly DeviceAssessment[];
  /** The sampled devices' metrics under the new model, summed (absent: not read). */
  readonly behaviour?: FleetBehaviour;
}

/** Sums of the sampled devices' `sinceModel` figures under the new model (edgeqc.metrics.v1). */
export interface FleetBehaviour {
  /** Sampled devices that reported metrics under the new model. */
  readonly devices: number;
  readonly images: number;
  readonly errors: number;
  readonly unclear: number;
  readonly defect: number;
  /** Messages that failed their schema (never counted above). */
  readonly rejected: number;
}

/** Adds up the newest message of each device (sinceModel is cumulative, so it adds up exactly). */
export function sumBehaviour(
  messages: readonly {
    readonly sinceModel: { images: number; errors: number; verdicts: { unclear: number; defect: number } };
  }[],
  rejected: number,
): FleetBehaviour {
  return messages.reduce<FleetBehaviour>(
    (acc, m) => ({
      devices: acc.devices + 1,
      images: acc.images + m.sinceModel.images,
      errors: acc.errors + m.sinceModel.errors,
      unclear: acc.unclear + m.sinceModel.verdicts.unclear,
      defect: acc.defect + m.sinceModel.verdicts.defect,
      rejected: acc.rejected,
    }),
    { devices: 0, images: 0, errors: 0, unclear: 0, defect: 0, rejected },
  );
}

export interface FleetCheckContext {
  readonly now: Date;
  readonly deadline: Date;
  /** Percentage of failed devices that fails the fleet (0 < p <= 100). */
  readonly abortPercent: number;
  /** Executed devices before the job's failure share counts (as the IoT job's abort criteria). Default 2. */
  readonly minExecuted?: number;
  /** Resolved sampled devices before the sample's failure share counts. Default 20. */
  readonly minSampleResolved?: number;
  /** Inspections (made and failed) under the new model before the behaviour counts. Default 200. */
  readonly minBehaviourImages?: number;
}

export interface FleetDecision {
  readonly outcome: 'done' | 'waiting' | 'failed';
  readonly errorName?: ErrorName;
  readonly summary: string;
  readonly jobFailed: number;
  readonly sampleFailed: number;
}

const MAX_LISTED = 5;

function list(devices: readonly DeviceAssessment[]): string {
  const shown = devices.slice(0, MAX_LISTED).map((d) => `${d.thingName}: ${d.reason}`);
  const more = devices.length > MAX_LISTED ? `; and ${devices.length - MAX_LISTED} more` : '';
  return shown.join('; ') + more;
}

const pct = (n: number) => `${Number(n.toFixed(1))}%`;

export function assessFleet(input: FleetCheckInput, ctx: FleetCheckContext): FleetDecision {
  const c = input.jobCounts;
  const jobFailed = c.failed + c.timedOut + c.rejected;
  const executed = c.succeeded + jobFailed;
  const sampleFailed = input.sample.filter((d) => d.verdict === 'failed');
  const samplePending = input.sample.filter((d) => d.verdict === 'pending');
  const sampleResolved = input.sample.length - samplePending.length;
  const exhaustive = input.sample.length >= input.groupSize;
  const jobLine =
    `job: ${c.succeeded} succeeded, ${jobFailed} failed (${c.failed} failed, ${c.timedOut} timed out, ` +
    `${c.rejected} rejected), ${c.inProgress} in progress, ${c.queued} queued of ${input.groupSize} device(s)`;
  const sampleLine = `${exhaustive ? 'every device' : `sample of ${input.sample.length}`}: ${sampleResolved - sampleFailed.length} healthy, ${sampleFailed.length} failed, ${samplePending.length} pending`;
  const b = input.behaviour;
  const tried = b ? b.images + b.errors : 0;
  const behaviourLine = b
    ? `; metrics of ${b.devices} sampled device(s): ${b.images} inspected, ${b.errors} failed, ${b.unclear} unclear, ${b.defect} defect${b.rejected ? `, ${b.rejected} message(s) rejected` : ''}`
    : '';
  const line = `${jobLine}; ${sampleLine}${behaviourLine}`;
  const failedLine = sampleFailed.length ? ` (${list(sampleFailed)})` : '';
  const base = { jobFailed, sampleFailed: sampleFailed.length };
  const fail = (why: string): FleetDecision => ({
    outcome: 'failed',
    errorName: ErrorNames.FleetUnhealthy,
    summary: `${why}; ${line}${failedLine}`,
    ...base,
  });

  if (input.deploymentStatus === 'CANCELED' || input.deploymentStatus === 'FAILED') {
    return fail(`the fleet deployment is ${input.deploymentStatus} (abort criteria reached)`);
  }
  const abort = ctx.abortPercent;
  const groupShare = input.groupSize > 0 ? (jobFailed * 100) / input.groupSize : 0;
  const executedShare = executed > 0 ? (jobFailed * 100) / executed : 0;
  if (jobFailed > 0 && groupShare >= abort) {
    return fail(
      `${jobFailed} of ${input.groupSize} fleet device(s) failed, at or above the abort threshold of ${abort}% (${pct(groupShare)})`,
    );
  }
  if (jobFailed > 0 && executed >= (ctx.minExecuted ?? 2) && executedShare >= abort) {
    return fail(
      `${jobFailed} of ${executed} executed fleet device(s) failed, at or above the abort threshold of ${abort}% (${pct(executedShare)})`,
    );
  }
  if (exhaustive) {
    const share = input.groupSize > 0 ? (sampleFailed.length * 100) / input.groupSize : 0;
    if (sampleFailed.length > 0 && share >= abort) {
      return fail(
        `${sampleFailed.length} of ${input.groupSize} fleet device(s) failed, at or above the abort threshold of ${abort}% (${pct(share)})`,
      );
    }
  } else if (sampleFailed.length > 0 && sampleResolved >= (ctx.minSampleResolved ?? 20)) {
    const share = (sampleFailed.length * 100) / sampleResolved;
    if (share >= abort) {
      return fail(
        `${sampleFailed.length} of ${sampleResolved} sampled fleet device(s) failed the deep check, at or above the abort threshold of ${abort}% (${pct(share)})`,
      );
    }
  }

  if (b && tried >= (ctx.minBehaviourImages ?? 200) && (b.errors * 100) / tried >= abort) {
    return fail(
      `${b.errors} of ${tried} inspections failed on the sampled devices under the new model, at or above the abort threshold of ${abort}% (${pct((b.errors * 100) / tried)})`,
    );
  }

  const accounted = executed + c.canceled + c.removed;
  if (c.queued + c.inProgress === 0 && accounted >= input.groupSize && samplePending.length === 0) {
    const note =
      exhaustive && sampleFailed.length
        ? `; ${sampleFailed.length} rolled back: ${list(sampleFailed)}`
        : jobFailed
          ? `; ${jobFailed} failed, below the abort threshold (Greengrass rolled them back)`
          : '';
    return { outcome: 'done', summary: `the fleet serves the new model: ${line}${note}`, ...base };
  }
  if (ctx.now.getTime() > ctx.deadline.getTime()) {
    const stuck = samplePending.length ? ` (pending in the sample: ${list(samplePending)})` : '';
    return {
      outcome: 'failed',
      errorName: ErrorNames.FleetTimeout,
      summary: `the fleet did not finish by ${ctx.deadline.toISOString()}: ${line}${stuck}`,
      ...base,
    };
  }
  return { outcome: 'waiting', summary: line, ...base };
}

/**
 * A uniform random sample of `size` names (all of them when there are fewer), in one pass
 * (reservoir sampling); `random` returns [0, 1) and is injected so that tests are repeatable.
 */
export function drawSample(names: readonly string[], size: number, random: () => number): string[] {
  if (!(Number.isInteger(size) && size > 0)) throw new RangeError(`sample size ${size}: expected a positive integer`);
  const out: string[] = [];
  names.forEach((name, i) => {
    if (i < size) out.push(name);
    else {
      const j = Math.floor(random() * (i + 1));
      if (j < size) out[j] = name;
    }
  });
  return out;
}
