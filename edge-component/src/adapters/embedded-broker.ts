/**
 * The embedded MQTT broker (Aedes 1.x, MQTT 3.1.1 only) on a local TCP port, for `npm start` and tests
 * with nothing installed. Publish to it with the MQTT 3.1.1 publisher (the MQTT 5 client fails against
 * Aedes with a protocol decode error). In memory: retained messages are lost when it stops.
 */
import { createServer } from 'node:net';
import { Aedes } from 'aedes';

export interface EmbeddedBroker {
  /** `mqtt://<host>:<port>` */
  readonly url: string;
  readonly port: number;
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
    port,
    async close() {
      if (closed) return;
      closed = true;
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
