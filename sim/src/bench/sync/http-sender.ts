/**
 * An HTTP client of the agent's `POST /v1/inspect` for the closed loop: Node's fetch (undici, whose
 * global agent keeps connections alive, one per client in flight), the sample's bytes as the body. An
 * answer counts as ok when it is 200 with an `edgeqc.inspection.v1` message; 429 is a refusal with its
 * Retry-After (seconds); anything else, or no answer within `timeoutMs`, is an error.
 */
import type { Outcome, SendFn } from './closed-loop.ts';
import type { SyncSample } from './sync-samples.ts';

export function httpSender(
  baseUrl: string,
  samples: readonly SyncSample[],
  timeoutMs: number,
  signal?: AbortSignal,
): SendFn {
  const url = `${baseUrl}/v1/inspect`;
  return async (_client, image): Promise<Outcome> => {
    const s = samples[image] as SyncSample;
    const limits = [AbortSignal.timeout(timeoutMs), ...(signal ? [signal] : [])];
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': s.contentType },
        body: s.bytes,
        signal: AbortSignal.any(limits),
      });
      const text = await res.text();
      if (res.status === 429) {
        const seconds = Number(res.headers.get('retry-after'));
        return { kind: 'refused', retryAfterMs: Number.isFinite(seconds) ? seconds * 1000 : 1000 };
      }
      if (res.status !== 200) return { kind: 'error', reason: `HTTP ${res.status}: ${text.slice(0, 200)}` };
      const body = JSON.parse(text) as { schema?: unknown };
      return body.schema === 'edgeqc.inspection.v1'
        ? { kind: 'ok' }
        : { kind: 'error', reason: `HTTP 200 without an inspection: ${text.slice(0, 200)}` };
    } catch (err) {
      return { kind: 'error', reason: `HTTP request failed: ${err instanceof Error ? err.message : String(err)}` };
    }
  };
}
