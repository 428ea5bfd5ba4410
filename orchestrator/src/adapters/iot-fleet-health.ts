/**
 * FleetHealth over the AWS IoT data plane: GetRetainedMessage on `<prefix>/<thing>/status` (the agent
 * publishes its status retained). Returns the parsed JSON; schema checks are the domain's job.
 */
import { GetRetainedMessageCommand, IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import type { FleetHealth } from '../ports.ts';
import { awsCall, isAwsError } from './aws-errors.ts';

export function statusTopic(prefix: string, thingName: string): string {
  return `${prefix.replace(/\/+$/, '')}/${thingName}/status`;
}

export function createIotFleetHealth(
  client: Pick<IoTDataPlaneClient, 'send'> = new IoTDataPlaneClient({}),
  topicPrefix = 'edgeqc',
): FleetHealth {
  return {
    async retainedStatus(thingName) {
      const topic = statusTopic(topicPrefix, thingName);
      let payload: Uint8Array | undefined;
      try {
        const out = await awsCall(`IoT GetRetainedMessage ${topic}`, () =>
          client.send(new GetRetainedMessageCommand({ topic })),
        );
        payload = out.payload;
      } catch (err) {
        if (isAwsError(err, 'ResourceNotFoundException')) return undefined;
        throw err;
      }
      if (!payload || payload.length === 0) return undefined;
      const text = new TextDecoder().decode(payload);
      try {
        return JSON.parse(text) as unknown;
      } catch {
        // Not JSON: hand the text on, the status check names it as not a status message.
        return text;
      }
    },
  };
}
