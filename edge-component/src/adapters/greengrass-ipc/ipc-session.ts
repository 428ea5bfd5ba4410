/**
 * One Greengrass IPC connection shared by the IPC adapters (publisher, config source, lifecycle
 * reporter). aws-iot-device-sdk-v2's `greengrasscoreipc.createClient()` reads the nucleus socket path
 * from AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT and the token from SVCUID (set by the
 * nucleus for its components). Connects lazily, on first use. When the connection drops, the next
 * use connects a new client (the SDK's client connects only once); subscriptions made on the old
 * client are not renewed (a nucleus restart restarts its components anyway).
 */
import { greengrasscoreipc } from 'aws-iot-device-sdk-v2';
import { PublishError } from '../../errors.ts';

export type GreengrassIpcClient = greengrasscoreipc.Client;

export interface GreengrassIpcSession {
  client(): Promise<GreengrassIpcClient>;
  /** False before the first connect and after the nucleus closed the connection. */
  isConnected(): boolean;
  close(): Promise<void>;
}

export function createGreengrassIpcSession(): GreengrassIpcSession {
  let pending: Promise<GreengrassIpcClient> | undefined;
  let connected = false;
  let closed = false;
  let current: GreengrassIpcClient | undefined;
  return {
    client() {
      if (closed) return Promise.reject(new PublishError('CLOSED', 'Greengrass IPC session is closed'));
      pending ??= (async () => {
        if (!process.env.AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT) {
          throw new PublishError(
            'CONNECT_FAILED',
            'AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT is not set: not running as a Greengrass component (use the MQTT publisher instead)',
          );
        }
        const c = greengrasscoreipc.createClient();
        c.on('disconnection', () => {
          connected = false;
          if (current === c) {
            current = undefined;
            pending = undefined;
            c.close().catch(() => undefined);
          }
        });
        try {
          await c.connect();
        } catch (cause) {
          throw new PublishError('CONNECT_FAILED', 'Greengrass IPC connect failed', { cause });
        }
        connected = true;
        current = c;
        return c;
      })().catch((err: unknown) => {
        pending = undefined;
        throw err;
      });
      return pending;
    },
    isConnected: () => connected && !closed,
    async close() {
      if (closed) return;
      closed = true;
      connected = false;
      if (current) await current.close();
    },
  };
}
