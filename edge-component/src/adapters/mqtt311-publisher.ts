/**
 * Publisher over MQTT 3.1.1 with aws-iot-device-sdk-v2 (aws-crt's MqttClientConnection): for brokers
 * that do not speak MQTT 5, notably the embedded Aedes broker.
 *
 * QoS 1 `publish` resolves on PUBACK; it rejects at once while disconnected (the caller's outbox keeps
 * the message) and after `operationTimeoutMs` without an acknowledgement. MQTT 3.1.1 has no reason
 * codes: a broker that refuses a message (AWS IoT Core: not authorised, too large) closes the
 * connection, which the outbox counts against the entry being sent (outbox/drain-loop.ts). A user name
 * and password in the URL go into CONNECT and never into a message (mqtt-url.ts). The Will and `close(final)`
 * behave as in the MQTT 5 publisher. The connection reconnects by itself.
 */
import { io, mqtt } from 'aws-iot-device-sdk-v2';
import { PublishError } from '../errors.ts';
import type { Publisher, PublishRequest } from '../ports.ts';
import { parseBrokerUrl, redactUrl } from './mqtt-url.ts';

export interface Mqtt311PublisherOptions {
  /** `mqtt://host:port` (no TLS). */
  readonly url: string;
  readonly clientId: string;
  readonly will?: PublishRequest;
  /** Default 30 s. */
  readonly keepAliveSeconds?: number;
  /** How long a QoS 1 publish waits for its PUBACK. Default 30000 ms. */
  readonly operationTimeoutMs?: number;
}

/** close() waits at most this long for a pending connect, and again for the disconnect. */
const CLOSE_WAIT_MS = 3000;

/** Waits for `promise`, or `ms` at most. */
async function withinMs(promise: Promise<unknown> | undefined, ms: number): Promise<void> {
  if (!promise) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

function qosOf(qos: 0 | 1): mqtt.QoS {
  return qos === 1 ? mqtt.QoS.AtLeastOnce : mqtt.QoS.AtMostOnce;
}

export function createMqtt311Connection(options: {
  url: string;
  clientId: string;
  will?: PublishRequest;
  keepAliveSeconds?: number;
  /** How long a PINGRESP may take before the connection counts as lost. Default: 3 s, at most half the keep-alive. */
  pingTimeoutMs?: number;
  operationTimeoutMs?: number;
}): mqtt.MqttClientConnection {
  const address = parseBrokerUrl(options.url);
  const keepAliveSeconds = Math.max(1, Math.round(options.keepAliveSeconds ?? 30));
  if (address.tls)
    throw new PublishError(
      'BAD_BROKER_URL',
      `mqtts:// is not supported by the MQTT 3.1.1 publisher: ${redactUrl(options.url)}`,
    );
  const will = options.will
    ? new mqtt.MqttWill(options.will.topic, qosOf(options.will.qos), options.will.payload, options.will.retain ?? false)
    : undefined;
  return new mqtt.MqttClient().new_connection({
    client_id: options.clientId,
    host_name: address.host,
    port: address.port,
    clean_session: true,
    keep_alive: keepAliveSeconds,
    // aws-c-mqtt aborts the process unless the keep-alive is longer than the ping timeout.
    ping_timeout: Math.min(options.pingTimeoutMs ?? 3000, (keepAliveSeconds * 1000) / 2),
    protocol_operation_timeout: options.operationTimeoutMs ?? 30_000,
    reconnect_min_sec: 1,
    reconnect_max_sec: 30,
    socket_options: new io.SocketOptions(),
    will,
    ...(address.username !== undefined ? { username: address.username } : {}),
    ...(address.password !== undefined ? { password: address.password } : {}),
  });
}

export function createMqtt311Publisher(options: Mqtt311PublisherOptions): Publisher {
  const connection = createMqtt311Connection(options);
  let connected = false;
  let closed = false;
  connection.on('connect', () => {
    connected = true;
  });
  connection.on('resume', () => {
    connected = true;
  });
  connection.on('interrupt', () => {
    connected = false;
  });
  connection.on('disconnect', () => {
    connected = false;
  });
  connection.on('error', () => {
    // Surfaced through rejected connect/publish promises.
  });

  let connecting: Promise<void> | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  const attempt = () => {
    connecting ??= connection
      .connect()
      .then(() => {
        connected = true;
      })
      .finally(() => {
        connecting = undefined;
      });
    return connecting;
  };
  const scheduleRetry = (delayMs: number) => {
    if (closed || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      if (closed || connected) return;
      attempt().catch(() => scheduleRetry(Math.min(delayMs * 2, 30_000)));
    }, delayMs);
    retryTimer.unref();
  };

  return {
    isConnected: () => connected && !closed,

    /**
     * Resolves on the first CONNACK; rejects on a failed first attempt, after which it keeps trying in
     * the background (backoff 1 s .. 30 s) until connected or closed, like the MQTT 5 client. After a
     * first success, the SDK itself reconnects.
     */
    async connect() {
      if (closed) throw new PublishError('CLOSED', 'publisher is closed');
      try {
        await attempt();
      } catch (cause) {
        scheduleRetry(1000);
        throw new PublishError('CONNECT_FAILED', `MQTT 3.1.1 connect to ${redactUrl(options.url)} failed`, { cause });
      }
    },

    async publish(request) {
      if (closed) throw new PublishError('CLOSED', 'publisher is closed');
      if (!connected) throw new PublishError('NOT_CONNECTED', `not connected; ${request.topic} not published`);
      try {
        await connection.publish(request.topic, request.payload, qosOf(request.qos), request.retain ?? false);
      } catch (cause) {
        throw new PublishError('PUBLISH_FAILED', `publish to ${request.topic} failed`, { cause });
      }
    },

    async close(finalMessage) {
      if (closed) return;
      try {
        if (finalMessage && connected) await this.publish(finalMessage);
      } finally {
        closed = true;
        if (retryTimer) clearTimeout(retryTimer);
        // Bounded: a broker that accepts TCP and never answers keeps a connect (and a disconnect) pending.
        await withinMs(
          connecting?.catch(() => undefined),
          CLOSE_WAIT_MS,
        );
        connected = false;
        await withinMs(
          connection.disconnect().catch(() => undefined),
          CLOSE_WAIT_MS,
        );
      }
    },
  };
}
