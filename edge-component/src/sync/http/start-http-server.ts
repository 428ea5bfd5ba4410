/**
 * Listens with the HTTP API and returns its URL and an orderly close. The options are checked before
 * anything binds: a host beyond loopback without TLS and a caller check is refused (HTTP_INSECURE_BIND).
 * close() stops accepting, closes idle keep-alive connections, answers requests that arrive meanwhile
 * with 503 and waits for those in flight (each ends by requestTimeoutMs at the latest).
 */
import type { AddressInfo } from 'node:net';
import { HttpApiCode, HttpApiError, messageOf } from '../../errors.ts';
import { buildHttpApp, type HttpApiDeps, type HttpApp } from './build-http-app.ts';
import { type HttpApiOptions, resolveHttpApiOptions } from './http-api-options.ts';

export interface HttpServerHandle {
  /** `http://host:port` or `https://...`, with the port the OS chose when the option was 0. */
  readonly url: string;
  readonly app: HttpApp;
  close(): Promise<void>;
}

function urlOf(address: AddressInfo, tls: boolean): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `${tls ? 'https' : 'http'}://${host}:${address.port}`;
}

export async function startHttpServer(deps: HttpApiDeps, options: HttpApiOptions = {}): Promise<HttpServerHandle> {
  const o = resolveHttpApiOptions(options);
  const app = buildHttpApp(deps, o);
  try {
    await app.listen({ host: o.host, port: o.port });
  } catch (err) {
    await app.close();
    throw new HttpApiError(HttpApiCode.ListenFailed, `cannot listen on ${o.host}:${o.port}: ${messageOf(err)}`, {
      cause: err,
    });
  }
  const address = app.server.address();
  if (address === null || typeof address === 'string') {
    await app.close();
    throw new HttpApiError(HttpApiCode.ListenFailed, `listening on ${o.host}:${o.port} gave no TCP address`);
  }
  const url = urlOf(address, o.tls !== undefined);
  deps.log.info(
    { url, tls: o.tls !== undefined, clientCerts: o.tls?.caPem !== undefined, token: o.authToken !== undefined },
    'http api listening',
  );
  let closing: Promise<void> | undefined;
  return {
    url,
    app,
    close() {
      closing ??= app.close();
      return closing;
    },
  };
}
