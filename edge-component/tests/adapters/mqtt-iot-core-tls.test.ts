import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createMqtt5Publisher } from '../../src/adapters/mqtt5-publisher.ts';
import { startMosquitto } from '../support/mosquitto.ts';

const TLS = join(import.meta.dirname, '..', 'support', 'tls');
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('MQTT 5 publisher, AWS IoT Core path (mutual TLS with an X.509 device certificate)', () => {
  it('publishes at QoS 1 to a real Mosquitto that requires a client certificate', async () => {
    const broker = await startMosquitto({
      tls: { caPath: join(TLS, 'ca.pem'), certPath: join(TLS, 'server.pem'), keyPath: join(TLS, 'server.key') },
    });
    cleanups.push(() => broker.stop());
    const pub = createMqtt5Publisher({
      endpoint: {
        type: 'iot-core',
        endpoint: 'localhost',
        port: broker.port,
        certPath: join(TLS, 'device.pem'),
        keyPath: join(TLS, 'device.key'),
        caPath: join(TLS, 'ca.pem'),
      },
      clientId: 'dev-tls',
    });
    cleanups.push(() => pub.close());
    await pub.connect();
    await pub.publish({ topic: 'edgeqc/dev-tls/inspections', payload: new TextEncoder().encode('{}'), qos: 1 });
    expect(pub.isConnected()).toBe(true);
  });

  it('is refused without a certificate the broker trusts', async () => {
    const broker = await startMosquitto({
      tls: { caPath: join(TLS, 'ca.pem'), certPath: join(TLS, 'server.pem'), keyPath: join(TLS, 'server.key') },
    });
    cleanups.push(() => broker.stop());
    // A self-signed device certificate, not issued by the CA the broker trusts.
    const pub = createMqtt5Publisher({
      endpoint: {
        type: 'iot-core',
        endpoint: 'localhost',
        port: broker.port,
        certPath: join(TLS, 'untrusted.pem'),
        keyPath: join(TLS, 'untrusted.key'),
        caPath: join(TLS, 'ca.pem'),
      },
      clientId: 'intruder',
    });
    cleanups.push(() => pub.close());
    await expect(pub.connect()).rejects.toMatchObject({ code: 'CONNECT_FAILED' });
  });
});

describe('MQTT 5 publisher credentials', () => {
  it('names the files when the certificate and key do not belong together', () => {
    const certPath = join(TLS, 'device.pem');
    const keyPath = join(TLS, 'untrusted.key');
    expect(() =>
      createMqtt5Publisher({
        endpoint: { type: 'iot-core', endpoint: 'localhost', certPath, keyPath },
        clientId: 'x',
      }),
    ).toThrow(expect.objectContaining({ code: 'BAD_CREDENTIALS' }));
  });
});
