/**
 * The embedded MQTT broker (Aedes 1.x, MQTT 3.1.1 only) on a local TCP port: the one-machine stand-in for
 * AWS IoT Core, for `npm start`, `npm run demo:rollout`, the benchmark and tests with nothing installed.
 * Clients publish to it with the agent's MQTT 3.1.1 publisher (the SDK's MQTT 5 client fails against
 * Aedes with a protocol decode error); simulated devices publish through `iotCore`, as their nucleus
 * does with PublishToIoTCore. In memory: retained messages are lost when it stops.
 */
import { createServer } from 'node:net';
import { Aedes } from 'aedes';
import type { IotCoreConnection } from '../device/core-device.ts';

export interface EmbeddedBroker {
  /** `mqtt://<host>:<port>` */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Publishes as the broker itself (what a device's nucleus does with PublishToIoTCore). */
  readonly iotCore: IotCoreConnection;
  /** Idempotent. */
  close(): Promise<void>;
}

export interface EmbeddedBrokerOptions {
  /** Default 0: a free port chosen by the system. */
  readonly port?: number;
  /** Default 127.0.0.1 (not reachable from other machines). */
  readonly host?: string;
}

export async function startEmbeddedBroker(options: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const host = options.host ?? '127.0.0.1';
  const broker = await Aedes.createBroker();
  const server = createServer(broker.handle);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    throw err;
  }
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : (options.port ?? 0);
  let closed = false;
  return {
    url: `mqtt://${host}:${port}`,
    host,
    port,
    iotCore: {
      publish: (r) =>
        new Promise<void>((resolve, reject) =>
          broker.publish(
            {
              cmd: 'publish',
              topic: r.topic,
              payload: Buffer.from(r.payload),
              qos: r.qos,
              retain: r.retain,
              dup: false,
            },
            (err) => (err ? reject(err) : resolve()),
          ),
        ),
    },
    async close() {
      if (closed) return;
      closed = true;
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
