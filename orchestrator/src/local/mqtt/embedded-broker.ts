/**
 * An embedded MQTT broker (Aedes, MQTT 3.1.1) on a local TCP port: the one-machine stand-in for AWS IoT
 * Core. The simulated devices publish into it directly (their nucleus' IoT Core connection); watchers
 * and the fleet-health reader connect as ordinary MQTT clients.
 */
import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';
import type { IotCoreConnection } from '../device/core-device.ts';

export interface EmbeddedBroker {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Publishes as the broker itself (what a device's nucleus does with PublishToIoTCore). */
  readonly iotCore: IotCoreConnection;
  close(): Promise<void>;
}

export async function startEmbeddedBroker(options: { port?: number; host?: string } = {}): Promise<EmbeddedBroker> {
  const host = options.host ?? '127.0.0.1';
  const aedes = await Aedes.createBroker();
  const server: Server = createServer(aedes.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `mqtt://${host}:${port}`,
    host,
    port,
    iotCore: {
      publish: (r) =>
        new Promise<void>((resolve, reject) =>
          aedes.publish(
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
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
