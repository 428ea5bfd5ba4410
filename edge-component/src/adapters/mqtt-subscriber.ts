/**
 * A small MQTT 3.1.1 subscriber (aws-iot-device-sdk-v2) for tests, demos and the `watch` command:
 * subscribe to a topic filter and iterate the messages. MQTT 3.1.1 works with Mosquitto, AWS IoT Core
 * and the embedded Aedes broker alike. The buffer between the socket and the reader is bounded; when
 * the reader falls behind by more than `maxBuffered`, the oldest messages are dropped and counted.
 */
import { mqtt } from 'aws-iot-device-sdk-v2';
import { PublishError } from '../errors.ts';
import { createMqtt311Connection } from './mqtt311-publisher.ts';

export interface ReceivedMessage {
  readonly topic: string;
  readonly payload: Uint8Array;
  readonly retain: boolean;
}

export interface MqttSubscription {
  readonly messages: AsyncIterable<ReceivedMessage>;
  /** Messages dropped because the reader fell behind. */
  dropped(): number;
  close(): Promise<void>;
}

export interface MqttSubscribeOptions {
  readonly url: string;
  readonly topicFilter: string;
  /** Default: a random `edgeqc-sub-…` id. */
  readonly clientId?: string;
  /** Default 10000. */
  readonly maxBuffered?: number;
}

export async function subscribeMqtt(options: MqttSubscribeOptions): Promise<MqttSubscription> {
  const maxBuffered = options.maxBuffered ?? 10_000;
  const connection = createMqtt311Connection({
    url: options.url,
    clientId: options.clientId ?? `edgeqc-sub-${crypto.randomUUID().slice(0, 8)}`,
    // A reader on a busy machine (or next to a broker in the same process) may answer pings late: a lost
    // connection loses the QoS 1 messages in flight, so it is declared lost only after a long silence.
    keepAliveSeconds: 60,
    pingTimeoutMs: 30_000,
  });
  connection.on('error', () => {
    // Surfaced through the rejected connect/subscribe promises.
  });
  const buffer: ReceivedMessage[] = [];
  let dropped = 0;
  let done = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  const subscribe = () =>
    connection.subscribe(options.topicFilter, mqtt.QoS.AtLeastOnce, (topic, payload, _dup, _qos, retain) => {
      if (buffer.length >= maxBuffered) {
        buffer.shift();
        dropped += 1;
      }
      buffer.push({ topic, payload: new Uint8Array(payload), retain });
      notify();
    });
  // The connection is a clean session: after a reconnect the broker has forgotten the subscription, and
  // without a new one the reader would wait forever on a live connection.
  connection.on('resume', (_returnCode: number, sessionPresent: boolean) => {
    if (!sessionPresent && !done) subscribe().catch(() => undefined);
  });

  try {
    await connection.connect();
    await subscribe();
  } catch (cause) {
    await connection.disconnect().catch(() => undefined);
    throw new PublishError('CONNECT_FAILED', `cannot subscribe to ${options.topicFilter} at ${options.url}`, { cause });
  }

  async function* iterate(): AsyncGenerator<ReceivedMessage> {
    while (true) {
      const next = buffer.shift();
      if (next) {
        yield next;
        continue;
      }
      if (done) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  }

  return {
    messages: iterate(),
    dropped: () => dropped,
    async close() {
      if (done) return;
      done = true;
      notify();
      await connection.disconnect();
    },
  };
}
