/** Parses a broker URL: `mqtt://host[:port]` (default 1883) or `mqtts://host[:port]` (default 8883). */
import { PublishError } from '../errors.ts';

export interface BrokerAddress {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
}

export function parseBrokerUrl(url: string): BrokerAddress {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new PublishError(
      'BAD_BROKER_URL',
      `broker URL ${JSON.stringify(url)} is not a URL; expected mqtt://host:port or mqtts://host:port`,
      { cause },
    );
  }
  const tls = parsed.protocol === 'mqtts:';
  if (!tls && parsed.protocol !== 'mqtt:') {
    throw new PublishError(
      'BAD_BROKER_URL',
      `broker URL ${JSON.stringify(url)} has scheme ${parsed.protocol}; expected mqtt: or mqtts:`,
    );
  }
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (host.length === 0) throw new PublishError('BAD_BROKER_URL', `broker URL ${JSON.stringify(url)} has no host`);
  const port = parsed.port === '' ? (tls ? 8883 : 1883) : Number(parsed.port);
  return { host, port, tls };
}
