/**
 * Broker URLs: `mqtt://[user[:password]@]host[:port]` (default 1883) or `mqtts://...` (default 8883).
 *
 * Credentials in a URL never reach a log line or an error message: every URL the MQTT code shows goes
 * through `redactUrl` first (`mqtt://user:***@host:1883`); the user name and password go to the
 * broker in the CONNECT packet only.
 */
import { PublishError } from '../errors.ts';

export interface BrokerAddress {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  /** From the URL's user part (percent-decoded), when it has one. */
  readonly username?: string;
  readonly password?: string;
}

/**
 * The text with the password (and the user name) of every `scheme://user:password@` in it replaced:
 * `mqtt://u:p@h` -> `mqtt://u:***@h`; a lone user name is kept (`mqtt://u@h`), since it is no secret
 * on its own. Any text: a URL, a message that contains one, or something that is not a URL at all.
 */
export function redactUrl(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)([^/\s@:]*):([^/\s@]*)@/gi, '$1$2:***@');
}

/** True for the loopback interface: `localhost`, 127.0.0.0/8, ::1 (with or without brackets). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

export function parseBrokerUrl(url: string): BrokerAddress {
  const shown = JSON.stringify(redactUrl(url));
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // No cause: URL's own TypeError repeats the input, credentials included.
    throw new PublishError(
      'BAD_BROKER_URL',
      `broker URL ${shown} is not a URL; expected mqtt://host:port or mqtts://host:port`,
    );
  }
  const tls = parsed.protocol === 'mqtts:';
  if (!tls && parsed.protocol !== 'mqtt:') {
    throw new PublishError(
      'BAD_BROKER_URL',
      `broker URL ${shown} has scheme ${parsed.protocol}; expected mqtt: or mqtts:`,
    );
  }
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (host.length === 0) throw new PublishError('BAD_BROKER_URL', `broker URL ${shown} has no host`);
  const port = parsed.port === '' ? (tls ? 8883 : 1883) : Number(parsed.port);
  const username = parsed.username === '' ? undefined : decodeURIComponent(parsed.username);
  const password = parsed.password === '' ? undefined : decodeURIComponent(parsed.password);
  return {
    host,
    port,
    tls,
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
  };
}
