/**
 * DeploymentJobs over AWS IoT: DescribeJob on the IoT job Greengrass made for a thing-group deployment.
 * Its jobProcessDetails count the devices in each execution state: one call whatever the fleet's size.
 */
import { DescribeJobCommand, IoTClient } from '@aws-sdk/client-iot';
import type { DeploymentJobs } from '../ports.ts';
import { awsCall } from './aws-errors.ts';

export function createIotDeploymentJobs(iot: Pick<IoTClient, 'send'> = new IoTClient({})): DeploymentJobs {
  return {
    async jobProgress(iotJobId) {
      const out = await awsCall(`IoT DescribeJob ${iotJobId}`, () =>
        iot.send(new DescribeJobCommand({ jobId: iotJobId })),
      );
      const d = out.job?.jobProcessDetails ?? {};
      return {
        status: out.job?.status ?? 'IN_PROGRESS',
        counts: {
          succeeded: d.numberOfSucceededThings ?? 0,
          failed: d.numberOfFailedThings ?? 0,
          timedOut: d.numberOfTimedOutThings ?? 0,
          rejected: d.numberOfRejectedThings ?? 0,
          canceled: d.numberOfCanceledThings ?? 0,
          removed: d.numberOfRemovedThings ?? 0,
          queued: d.numberOfQueuedThings ?? 0,
          inProgress: d.numberOfInProgressThings ?? 0,
        },
      };
    },
  };
}
