/**
 * Publisher over MQTT 5 with aws-iot-device-sdk-v2 (aws-crt's Mqtt5Client): to Mosquitto (or any MQTT 5
 * broker) by URL, or to AWS IoT Core with an X.509 device certificate (mutual TLS on port 8883).
 *
 * - QoS 1 `publish` resolves on a successful PUBACK and rejects on a failure reason code or when the
 *   connection is down: the offline queue fails everything on disconnect (the caller's durable outbox
 *   keeps the message; the SDK's own queue lives in memory and a crash would lose it).
 * - A refusal for good (PUBACK 135 Not authorized, 144 Topic name invalid, 149 Packet too large, 153
 *   Payload format invalid, or the client's own validation against the broker's limits) rejects with
 *   PUBLISH_REFUSED, so the outbox sets the message aside instead of retrying it forever; any other
 *   failure code (128 Unspecified, 131 Implementation specific, 151 Quota exceeded: AWS IoT Core's
 *   throttling) is PUBLISH_REJECTED and retried.
 * - A user name and password in the URL (`mqtt://user:password@host`) go into CONNECT; every URL in a
 *   message is redacted (mqtt-url.ts).
 * - The Last Will (e.g. the retained `offline` status) is sent by the broker if the device vanishes;
 *   `close(final)` publishes `final` first and then disconnects normally (no Will).
 * - The client reconnects by itself with backoff; `isConnected` follows its events.
 */
import { iot, mqtt5 } from 'aws-iot-device-sdk-v2';
import { PublishError } from '../errors.ts';
import type { Publisher, PublishRequest } from '../ports.ts';
import { parseBrokerUrl, redactUrl } from './mqtt-url.ts';

export type Mqtt5Endpoint =
  | { readonly type: 'url'; readonly url: string }
  | {
      readonly type: 'iot-core';
      /** The account's AWS IoT data endpoint (`xxxx-ats.iot.<region>.amazonaws.com`). */
      readonly endpoint: string;
      readonly certPath: string;
      readonly keyPath: string;
      /** Amazon root CA; default: the system trust store. */
      readonly caPath?: string;
      /** Default 8883. */
      readonly port?: number;
    };

export interface Mqtt5PublisherOptions {
  readonly endpoint: Mqtt5Endpoint;
  /** For AWS IoT Core, the thing name (the policy usually requires it). */
  readonly clientId: string;
  /** Sent by the broker when the connection drops without a normal disconnect. */
  readonly will?: PublishRequest;
  /** Default 30 s. */
  readonly keepAliveSeconds?: number;
  /** How long a QoS 1 publish waits for its PUBACK. Default 30 s. */
  readonly ackTimeoutSeconds?: number;
}

/** close() waits at most this long for the client to stop (then releases it anyway). */
const CLOSE_WAIT_MS = 3000;

/** MQTT 5 PUBACK reason codes that no retry can change, with their names. */
const PERMANENT_REASONS: ReadonlyMap<number, string> = new Map([
  [135, 'Not authorized'],
  [144, 'Topic name invalid'],
  [149, 'Packet too large'],
  [153, 'Payload format invalid'],
]);

/** Names of the other failure reason codes a PUBACK may carry (retried). */
const TRANSIENT_REASONS: ReadonlyMap<number, string> = new Map([
  [128, 'Unspecified error'],
  [131, 'Implementation specific error'],
  [145, 'Packet identifier in use'],
  [151, 'Quota exceeded'],
]);

/** aws-crt's error name for a packet its own validation refuses (too large for the broker's maximum, bad topic). */
function isValidationFailure(cause: unknown): boolean {
  if (typeof cause !== 'object' || cause === null || !('error_name' in cause)) return false;
  return typeof cause.error_name === 'string' && /VALIDATION|PACKET_TOO_LARGE|TOPIC/i.test(cause.error_name);
}

/** The PublishError for a PUBACK with a failure reason code (>= 128). */
export function pubackError(topic: string, reasonCode: number): PublishError {
  const permanent = PERMANENT_REASONS.get(reasonCode);
  const name = permanent ?? TRANSIENT_REASONS.get(reasonCode) ?? 'failure';
  return new PublishError(
    permanent ? 'PUBLISH_REFUSED' : 'PUBLISH_REJECTED',
    `broker ${permanent ? 'refused' : 'rejected'} publish to ${topic}: PUBACK reason ${reasonCode} (${name})`,
    { reasonCode },
  );
}

function willPacket(will: PublishRequest | undefined): mqtt5.PublishPacket | undefined {
  if (!will) return undefined;
  return { topicName: will.topic, payload: will.payload, qos: will.qos, retain: will.retain ?? false };
}

function clientConfig(options: Mqtt5PublisherOptions): mqtt5.Mqtt5ClientConfig {
  const credentials = options.endpoint.type === 'url' ? parseBrokerUrl(options.endpoint.url) : undefined;
  const connectProperties: mqtt5.ConnectPacket = {
    clientId: options.clientId,
    keepAliveIntervalSeconds: options.keepAliveSeconds ?? 30,
    will: willPacket(options.will),
    ...(credentials?.username !== undefined ? { username: credentials.username } : {}),
    ...(credentials?.password !== undefined ? { password: new TextEncoder().encode(credentials.password) } : {}),
  };
  const common = {
    offlineQueueBehavior: mqtt5.ClientOperationQueueBehavior.FailAllOnDisconnect,
    ackTimeoutSeconds: options.ackTimeoutSeconds ?? 30,
    retryJitterMode: mqtt5.RetryJitterType.Full,
    minReconnectDelayMs: 500,
    maxReconnectDelayMs: 30_000,
  };
  if (options.endpoint.type === 'iot-core') {
    const e = options.endpoint;
    try {
      const builder = iot.AwsIotMqtt5ClientConfigBuilder.newDirectMqttBuilderWithMtlsFromPath(
        e.endpoint,
        e.certPath,
        e.keyPath,
      );
      if (e.caPath) builder.withCertificateAuthorityFromPath(undefined, e.caPath);
      if (e.port !== undefined) builder.withPort(e.port);
      builder.withConnectProperties(connectProperties);
      builder.withOfflineQueueBehavior(common.offlineQueueBehavior);
      builder.withAckTimeoutSeconds(common.ackTimeoutSeconds);
      return builder.build();
    } catch (cause) {
      // aws-crt builds the TLS context here: unreadable or mismatched certificate/key files fail now.
      throw new PublishError(
        'BAD_CREDENTIALS',
        `certificate ${e.certPath}, key ${e.keyPath}${e.caPath ? ` or CA ${e.caPath}` : ''} cannot be used for mutual TLS`,
        { cause },
      );
    }
  }
  const address = parseBrokerUrl(options.endpoint.url);
  if (address.tls) {
    throw new PublishError(
      'BAD_BROKER_URL',
      `mqtts:// needs a certificate: use the 'iot-core' endpoint for ${redactUrl(options.endpoint.url)}`,
    );
  }
  // disableMetrics: the SDK would otherwise send its own user name (`?SDK=...`), meant for AWS IoT Core,
  // to any broker, and append it to a user name of ours.
  return { hostName: address.host, port: address.port, connectProperties, disableMetrics: true, ...common };
}

function describe(endpoint: Mqtt5Endpoint): string {
  return endpoint.type === 'url' ? redactUrl(endpoint.url) : `${endpoint.endpoint}:${endpoint.port ?? 8883}`;
}

export function createMqtt5Publisher(options: Mqtt5PublisherOptions): Publisher {
  const config = clientConfig(options);
  let client: mqtt5.Mqtt5Client;
  try {
    client = new mqtt5.Mqtt5Client(config);
  } catch (cause) {
    // aws-crt builds the TLS context here: unreadable or mismatched certificate/key files fail now.
    throw new PublishError('BAD_CREDENTIALS', `cannot set up the MQTT 5 client for ${describe(options.endpoint)}`, {
      cause,
    });
  }
  let connected = false;
  let closed = false;
  let started = false;
  client.on('connectionSuccess', () => {
    connected = true;
  });
  client.on('disconnection', () => {
    connected = false;
  });
  client.on('error', () => {
    // Reported through connectionFailure/disconnection and rejected publishes.
  });

  return {
    isConnected: () => connected && !closed,

    /** Starts the client; resolves on the first CONNACK, rejects on the first failure (retries go on). */
    connect() {
      if (closed) return Promise.reject(new PublishError('CLOSED', 'publisher is closed'));
      return new Promise<void>((resolve, reject) => {
        const onSuccess = () => {
          client.off('connectionFailure', onFailure);
          resolve();
        };
        const onFailure = (event: mqtt5.ConnectionFailureEvent) => {
          client.off('connectionSuccess', onSuccess);
          reject(
            new PublishError(
              'CONNECT_FAILED',
              `MQTT 5 connect to ${describe(options.endpoint)} failed: ${String(event.error)}`,
              { cause: event.error },
            ),
          );
        };
        client.once('connectionSuccess', onSuccess);
        client.once('connectionFailure', onFailure);
        started = true;
        client.start();
      });
    },

    async publish(request) {
      if (closed) throw new PublishError('CLOSED', 'publisher is closed');
      if (!connected) throw new PublishError('NOT_CONNECTED', `not connected; ${request.topic} not published`);
      let result: mqtt5.PublishCompletionResult;
      try {
        result = await client.publish({
          topicName: request.topic,
          payload: request.payload,
          qos: request.qos,
          retain: request.retain ?? false,
        });
      } catch (cause) {
        if (isValidationFailure(cause)) {
          throw new PublishError(
            'PUBLISH_REFUSED',
            `publish to ${request.topic} (${request.payload.length} bytes) refused by the client's checks against the broker's limits`,
            { cause },
          );
        }
        throw new PublishError('PUBLISH_FAILED', `publish to ${request.topic} failed`, { cause });
      }
      if (request.qos === 1 && result && result.reasonCode >= 128) throw pubackError(request.topic, result.reasonCode);
    },

    async close(finalMessage) {
      if (closed) return;
      try {
        if (finalMessage && connected) await this.publish(finalMessage);
      } finally {
        closed = true;
        if (started) {
          // Bounded: a broker that never answered (no CONNACK) may leave 'stopped' unsent.
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, CLOSE_WAIT_MS);
            client.once('stopped', () => {
              clearTimeout(timer);
              resolve();
            });
            client.stop({ reasonCode: mqtt5.DisconnectReasonCode.NormalDisconnection });
          });
        }
        connected = false;
        client.close();
      }
    },
  };
}
