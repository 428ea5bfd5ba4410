/** The synchronous API's configuration: the shared request queue, HTTP, and the Lookout for Vision socket. */
import { z } from 'zod';
import { int, path, posInt } from './schema-builders.ts';

/** The Lookout for Vision edge agent's documented default socket. */
export const LFV_DEFAULT_SOCKET = '/tmp/aws.iot.lookoutvision.EdgeAgent.sock';

export const SyncConfigSchema = z
  .strictObject({
    concurrency: posInt(16)
      .default(2)
      .describe('Synchronous requests (HTTP and gRPC together) inspected at once; the model runs one image at a time.'),
    maxQueue: int('an integer from 0 to 1024', 0, 1024)
      .default(32)
      .describe('Requests waiting beyond those; more are refused at once (HTTP 429, gRPC RESOURCE_EXHAUSTED).'),
    maxQueueBytes: int('a byte count from 0 to 1073741824', 0, 1024 ** 3)
      .default(8 * 1024 ** 2)
      .describe(
        'Image bytes (encoded bodies, inline bitmaps) the waiting requests may hold together; a request that ' +
          'would pass it is refused like a full queue, unless none waits. Shared-memory bitmaps hold none while waiting.',
      ),
    timeoutMs: int('an integer from 100 to 600000 milliseconds', 100, 600_000)
      .default(10_000)
      .describe('From arrival to answer; later: HTTP 503 SYNC_TIMEOUT, gRPC DEADLINE_EXCEEDED.'),
  })
  .describe('Synchronous inspection requests (HTTP and the Lookout for Vision gRPC interface).');

export const HttpConfigSchema = z
  .strictObject({
    port: int('a TCP port from 0 to 65535', 0, 65_535)
      .default(0)
      .describe('Port of the HTTP API (POST /v1/inspect, GET /healthz, GET /readyz); 0: no HTTP API.'),
    host: z
      .string({ error: 'expected a host name or IP address' })
      .min(1, { error: 'expected a host name or IP address' })
      .default('127.0.0.1')
      .describe(
        'Address to listen on. Beyond loopback only with TLS (certFile, keyFile) and a bearer token (tokenFile) ' +
          'or client certificates (caFile); otherwise the agent refuses to start.',
      ),
    maxBodyBytes: posInt().optional().describe('Largest request body (HTTP 413 beyond). Default: limits.maxFileBytes.'),
    certFile: path('a TLS certificate file').optional().describe('PEM server certificate: serve HTTPS.'),
    keyFile: path('a TLS private key file').optional().describe('PEM private key of certFile.'),
    caFile: path('a CA certificate file')
      .optional()
      .describe('PEM CA bundle: require client certificates signed by it (mutual TLS).'),
    tokenFile: path('a bearer token file')
      .optional()
      .describe(
        'File holding the bearer token every request but /healthz must carry: at least 16 printable ASCII ' +
          'characters without spaces (the agent refuses to start otherwise). Never logged.',
      ),
  })
  .refine((h) => (h.certFile === undefined) === (h.keyFile === undefined), {
    error: 'expected certFile and keyFile together or neither',
  })
  .refine((h) => h.caFile === undefined || h.certFile !== undefined, {
    error: 'expected caFile only with certFile and keyFile (client certificates need TLS)',
  })
  .describe('The HTTP API (off unless port is set).');

export const LfvConfigSchema = z
  .strictObject({
    enabled: z
      .boolean({ error: 'expected true or false' })
      .default(false)
      .describe(`Serve the Lookout for Vision edge agent's gRPC interface (on socket, default ${LFV_DEFAULT_SOCKET}).`),
    socket: path('a Unix socket path')
      .optional()
      .describe('Unix socket of the gRPC interface (owner and group may connect); setting it switches it on.'),
  })
  .describe("Amazon Lookout for Vision edge agent's gRPC interface, for clients written for it (off by default).");
