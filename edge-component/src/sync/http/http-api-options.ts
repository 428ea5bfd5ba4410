/**
 * The HTTP API's options, checked once before anything listens. Beyond loopback the API only starts
 * with TLS and a way to know the caller (a bearer token, or client certificates checked against
 * `tls.caPem`): an inspection endpoint on a factory network must not be open to every host on it.
 */
import { BlockList, isIP } from 'node:net';
import { HttpApiCode, HttpApiError } from '../../errors.ts';

export interface HttpTlsOptions {
  /** The server certificate chain, PEM. */
  readonly certPem: string;
  /** The server certificate's private key, PEM. */
  readonly keyPem: string;
  /** When set, every client must present a certificate issued by this CA (PEM), else the handshake fails. */
  readonly caPem?: string;
}

export interface HttpApiOptions {
  /** Address to listen on. Default 127.0.0.1; anything beyond loopback needs `tls` and `authToken` or `tls.caPem`. */
  readonly host?: string;
  /** TCP port; 0 lets the OS choose (tests). Default 0. */
  readonly port?: number;
  /** Largest request body, bytes; a larger one is refused with 413 before it is read whole. Default 20 MiB. */
  readonly maxBodyBytes?: number;
  /**
   * How long the API waits for a request's body, and then for the service's answer: past it the body
   * upload fails with 408, the inspection with 503 SYNC_TIMEOUT. Default 30 s.
   */
  readonly requestTimeoutMs?: number;
  /** Serve HTTPS with this certificate. Default: plain HTTP (loopback only). */
  readonly tls?: HttpTlsOptions;
  /** When set, every route but /healthz needs `Authorization: Bearer <authToken>`. At least 16 characters. */
  readonly authToken?: string;
}

export interface ResolvedHttpApiOptions {
  readonly host: string;
  readonly port: number;
  readonly maxBodyBytes: number;
  readonly requestTimeoutMs: number;
  readonly tls: HttpTlsOptions | undefined;
  readonly authToken: string | undefined;
}

export const HTTP_API_DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  port: 0,
  maxBodyBytes: 20 * 1024 * 1024,
  requestTimeoutMs: 30_000,
});

const MIN_TOKEN_CHARS = 16;
const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** 127.0.0.0/8, ::1 (also IPv4-mapped) and `localhost`; a host name is never resolved. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost') return true;
  const family = isIP(bare);
  if (family === 4) return loopback.check(bare, 'ipv4');
  if (family === 6) return loopback.check(bare, 'ipv6') || /^::ffff:127\./.test(bare);
  return false;
}

function bad(message: string): never {
  throw new HttpApiError(HttpApiCode.BadOptions, message);
}

function positiveInt(name: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max) bad(`${name} ${value}: expected an integer 1..${max}`);
  return value;
}

/** Defaults applied and every option checked; throws HTTP_BAD_OPTIONS or HTTP_INSECURE_BIND. */
export function resolveHttpApiOptions(options: HttpApiOptions = {}): ResolvedHttpApiOptions {
  const host = options.host ?? HTTP_API_DEFAULTS.host;
  const port = options.port ?? HTTP_API_DEFAULTS.port;
  if (host.trim() === '') bad('host "": expected an address or host name, e.g. 127.0.0.1');
  if (!Number.isInteger(port) || port < 0 || port > 65_535) bad(`port ${port}: expected an integer 0..65535`);
  const maxBodyBytes = positiveInt('maxBodyBytes', options.maxBodyBytes ?? HTTP_API_DEFAULTS.maxBodyBytes, 2 ** 31);
  const requestTimeoutMs = positiveInt(
    'requestTimeoutMs',
    options.requestTimeoutMs ?? HTTP_API_DEFAULTS.requestTimeoutMs,
    3_600_000,
  );
  const { tls, authToken } = options;
  if (tls && (tls.certPem.trim() === '' || tls.keyPem.trim() === '')) bad('tls: certPem and keyPem must not be empty');
  if (tls?.caPem !== undefined && tls.caPem.trim() === '') bad('tls.caPem is empty: omit it or give a CA PEM');
  if (authToken !== undefined && (authToken.length < MIN_TOKEN_CHARS || /[^\x21-\x7e]/.test(authToken))) {
    // The token itself is never put in a message or a log.
    bad(`authToken: expected at least ${MIN_TOKEN_CHARS} printable ASCII characters without spaces`);
  }
  if (!isLoopbackHost(host)) {
    const callerChecked = authToken !== undefined || tls?.caPem !== undefined;
    if (!tls || !callerChecked) {
      throw new HttpApiError(
        HttpApiCode.InsecureBind,
        `host ${host} is beyond loopback: it needs TLS (tls.certPem, tls.keyPem) and a bearer token (authToken) ` +
          `or client certificates (tls.caPem); missing: ${[!tls && 'TLS', !callerChecked && 'token or client certificates'].filter(Boolean).join(', ')}. ` +
          'Bind 127.0.0.1 (the default) to serve this host only.',
      );
    }
  }
  return Object.freeze({ host, port, maxBodyBytes, requestTimeoutMs, tls, authToken });
}
