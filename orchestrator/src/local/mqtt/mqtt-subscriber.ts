/**
 * A small MQTT subscriber (aws-iot-device-sdk-v2's MQTT 3.1.1 client, which the embedded broker
 * speaks; Mosquitto and AWS IoT Core speak it too). Delivers every message on the given topic filters,
 * retained ones included.
 */
import { randomUUID } from 'node:crypto';
import { io, mqtt } from 'aws-iot-device-sdk-v2';
import { LocalModeError } from '../errors.ts';

export interface MqttMessage {
  readonly topic: string;
  readonly payload: Uint8Array;
  readonly retain: boolean;
}

export interface MqttSubscription {
  close(): Promise<void>;
}

export async function subscribeMqtt(
  url: string,
  filters: readonly string[],
  onMessage: (message: MqttMessage) => void,
): Promise<MqttSubscription> {
  const m = /^mqtt:\/\/([^:/]+):(\d+)\/?$/.exec(url);
  if (!m) throw new LocalModeError('BROKER_URL', `broker URL '${url}': expected mqtt://<host>:<port>`);
  const client = new mqtt.MqttClient();
  const connection = client.new_connection({
    client_id: `edgeqc-watch-${randomUUID().slice(0, 8)}`,
    host_name: m[1]!,
    port: Number(m[2]),
    clean_session: true,
    keep_alive: 30,
    socket_options: new io.SocketOptions(),
    use_websocket: false,
  });
  try {
    await connection.connect();
    for (const filter of filters) {
      await connection.subscribe(filter, mqtt.QoS.AtLeastOnce, (topic, payload, _dup, _qos, retain) => {
        onMessage({ topic, payload: new Uint8Array(payload), retain });
      });
    }
  } catch (cause) {
    throw new LocalModeError('BROKER_CONNECT', `cannot subscribe to ${filters.join(', ')} at ${url}`, { cause });
  }
  return {
    async close() {
      // disconnect() also frees the connection's native resources.
      await connection.disconnect().catch(() => undefined);
    },
  };
}
