/**
 * The publisher for a configuration: Greengrass IPC PublishToIoTCore under Greengrass; otherwise MQTT 5
 * (mutual TLS to AWS IoT Core for an mqtts:// URL), or MQTT 3.1.1 for the embedded Aedes broker. `will`
 * is the retained `offline` status the broker publishes when the connection drops without a goodbye.
 */

import { createIpcPublisher } from '../adapters/greengrass-ipc/ipc-publisher.ts';
import type { GreengrassIpcSession } from '../adapters/greengrass-ipc/ipc-session.ts';
import { parseBrokerUrl, redactUrl } from '../adapters/mqtt-url.ts';
import { createMqtt5Publisher } from '../adapters/mqtt5-publisher.ts';
import { createMqtt311Publisher } from '../adapters/mqtt311-publisher.ts';
import type { AgentConfig } from '../config/schema.ts';
import { AgentConfigError } from '../errors.ts';
import type { Publisher, PublishRequest } from '../ports.ts';

export function createPublisher(config: AgentConfig, will: PublishRequest, session?: GreengrassIpcSession): Publisher {
  if (session) return createIpcPublisher(session);
  const url = config.mqtt.url;
  if (url === undefined) {
    throw new AgentConfigError(
      'CONFIG_INVALID',
      'mqtt.url: expected a broker URL (--mqtt-url, EDGEQC_MQTT_URL) when not running under Greengrass, got nothing',
    );
  }
  const clientId = config.mqtt.clientId ?? (config.thingName as string);
  const keepAliveSeconds = config.mqtt.keepAliveSec;
  if (config.mqtt.version === '3.1.1') return createMqtt311Publisher({ url, clientId, will, keepAliveSeconds });
  const address = parseBrokerUrl(url);
  if (address.tls) {
    if (config.mqtt.certFile === undefined || config.mqtt.keyFile === undefined) {
      throw new AgentConfigError(
        'CONFIG_INVALID',
        `mqtt.certFile: expected a client certificate and key (--cert, --key) for ${redactUrl(url)}, got nothing`,
      );
    }
    return createMqtt5Publisher({
      endpoint: {
        type: 'iot-core',
        endpoint: address.host,
        port: address.port,
        certPath: config.mqtt.certFile,
        keyPath: config.mqtt.keyFile,
        caPath: config.mqtt.caFile,
      },
      clientId,
      will,
      keepAliveSeconds,
    });
  }
  return createMqtt5Publisher({ endpoint: { type: 'url', url }, clientId, will, keepAliveSeconds });
}
