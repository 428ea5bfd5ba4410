/**
 * A TCP proxy in front of moto's S3 for the uploader's network faults: it forwards bytes both ways and
 * notes the request line of every HTTP request it sees (PUT /bucket/key), and it can
 *   - cut: destroy every connection once a PUT has sent `afterBytes` of its body upstream (mid-upload),
 *   - go down: accept connections and reset them at once (the network is gone; counted),
 *   - come back up, and delay every answer by `delayMs` (a slow link).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface TestProxy {
  readonly url: string;
  /** `PUT <path>` per request seen, in order. */
  readonly requests: string[];
  /** Connections reset while down. */
  readonly refused: number;
  /** True once a cut happened. */
  readonly cut: boolean;
  cutMidUpload(afterBytes: number): void;
  down(): void;
  up(options?: { delayMs?: number }): void;
  close(): Promise<void>;
}

const REQUEST_LINE = /(PUT|GET|HEAD|POST|DELETE) (\S+) HTTP\/1\.1\r\n/g;

export async function startTestProxy(target: { host: string; port: number }): Promise<TestProxy> {
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  let mode: 'up' | 'down' = 'up';
  let delayMs = 0;
  let cutAfter: number | undefined;
  let cut = false;
  let refused = 0;

  const server: Server = createServer((client) => {
    if (mode === 'down') {
      refused += 1;
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    sockets.add(client);
    sockets.add(upstream);
    let putBytes = 0;
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('data', (chunk: Buffer) => {
      const text = chunk.toString('latin1');
      for (const m of text.matchAll(REQUEST_LINE)) {
        requests.push(`${m[1]} ${m[2]}`);
        putBytes = 0;
      }
      if (requests.at(-1)?.startsWith('PUT ')) putBytes += chunk.length;
      if (cutAfter !== undefined && putBytes >= cutAfter) {
        cutAfter = undefined;
        cut = true;
        // Half the body went through, then the network is gone.
        upstream.write(chunk.subarray(0, Math.floor(chunk.length / 2)), () => {
          for (const s of sockets) s.destroy();
          sockets.clear();
        });
        mode = 'down';
        return;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (delayMs > 0) setTimeout(() => client.write(chunk), delayMs);
      else client.write(chunk);
    });
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', () => (delayMs > 0 ? setTimeout(end, delayMs + 10) : end()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get refused() {
      return refused;
    },
    get cut() {
      return cut;
    },
    cutMidUpload(afterBytes) {
      cutAfter = afterBytes;
    },
    down() {
      mode = 'down';
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    up(options = {}) {
      delayMs = options.delayMs ?? 0;
      mode = 'up';
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** PUT requests per object key (`/bucket/key` -> key). */
export function putsPerKey(requests: readonly string[], bucket: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of requests) {
    const m = new RegExp(`^PUT /${bucket}/([^?]+)`).exec(r);
    if (m) counts.set(decodeURIComponent(m[1] as string), (counts.get(decodeURIComponent(m[1] as string)) ?? 0) + 1);
  }
  return counts;
}
