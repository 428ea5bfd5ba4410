/**
 * Publisher over Greengrass IPC PublishToIoTCore (QoS 1). The nucleus answers when it has accepted the
 * message into its spooler (not when AWS IoT Core acknowledged it); the nucleus then delivers it with
 * its own MQTT connection, and its Last Will/offline handling is the nucleus's. A failed call (not
 * authorized, spooler full, connection lost) rejects, and the caller's outbox keeps the message.
 */
import { greengrasscoreipc } from 'aws-iot-device-sdk-v2';
import { PublishError } from '../../errors.ts';
import type { Publisher } from '../../ports.ts';
import type { GreengrassIpcSession } from './ipc-session.ts';

const { QOS } = greengrasscoreipc.model;

export function createIpcPublisher(session: GreengrassIpcSession): Publisher {
  let closed = false;
  const publisher: Publisher = {
    async connect() {
      await session.client();
    },
    isConnected: () => !closed && session.isConnected(),
    async publish(request) {
      if (closed) throw new PublishError('CLOSED', 'publisher is closed');
      const client = await session.client();
      try {
        await client.publishToIoTCore({
          topicName: request.topic,
          qos: request.qos === 1 ? QOS.AT_LEAST_ONCE : QOS.AT_MOST_ONCE,
          payload: request.payload,
          retain: request.retain ?? false,
        });
      } catch (cause) {
        throw new PublishError('PUBLISH_FAILED', `PublishToIoTCore to ${request.topic} failed`, { cause });
      }
    },
    async close(finalMessage) {
      if (closed) return;
      try {
        if (finalMessage && session.isConnected()) await publisher.publish(finalMessage);
      } finally {
        closed = true;
      }
    },
  };
  return publisher;
}
