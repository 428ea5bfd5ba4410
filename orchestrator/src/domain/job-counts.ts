import type { JobExecutionCounts } from '../ports.ts';

type CountKey = keyof JobExecutionCounts;

/** A device's deployment execution status as the IoT job counts it; anything else is still queued. */
const COUNTED_AS: Readonly<Record<string, CountKey>> = {
  COMPLETED: 'succeeded',
  SUCCEEDED: 'succeeded',
  FAILED: 'failed',
  TIMED_OUT: 'timedOut',
  REJECTED: 'rejected',
  CANCELED: 'canceled',
  IN_PROGRESS: 'inProgress',
};

/** A job's counts before any device has an execution. */
export const NO_JOB_EXECUTIONS: Readonly<JobExecutionCounts> = Object.freeze({
  succeeded: 0,
  failed: 0,
  timedOut: 0,
  rejected: 0,
  canceled: 0,
  removed: 0,
  queued: 0,
  inProgress: 0,
});

/**
 * DescribeJob's counts derived from each targeted device's own execution status (undefined: the device
 * has not seen the deployment yet, so queued): how a world without IoT Jobs (the local fleet, a test's
 * fake) answers the fleet check's one question.
 */
export function jobCountsFromStatuses(statuses: Iterable<string | undefined>): JobExecutionCounts {
  const counts: Record<CountKey, number> = { ...NO_JOB_EXECUTIONS };
  for (const status of statuses) counts[(status !== undefined && COUNTED_AS[status]) || 'queued'] += 1;
  return counts;
}
