/**
 * Closed-loop clients for the synchronous API benchmark: `clients` loops, each with one request in
 * flight at a time (a line controller waiting for its verdict), sharing a budget of `requests`
 * measured requests and stopping at `maxMs` or on abort, whichever comes first. Each client first sends
 * one unmeasured request (connection set-up, warm caches).
 *
 * A request is answered (ok), refused because the agent's queue is full (HTTP 429, gRPC
 * RESOURCE_EXHAUSTED: the client waits the time the agent asked for, at most MAX_RETRY_WAIT_MS, and
 * sends the same image again; a refusal spends no budget), or failed (anything else: counted, the first
 * reason kept). Latency is that of the answered attempt, send to answer, kept with the image it was
 * for (so it can be set beside that image's own reference time); throughput is answered requests over
 * the measured wall time (refusals' waits included).
 */
import { type LatencySummary, perSecond, summarizeLatencies } from '../stats.ts';

export type Outcome =
  | { readonly kind: 'ok' }
  | { readonly kind: 'refused'; readonly retryAfterMs: number }
  | { readonly kind: 'error'; readonly reason: string };

/** Sends image `image` for client `client`; never rejects (a failure is an `error` outcome). */
export type SendFn = (client: number, image: number) => Promise<Outcome>;

export interface ClosedLoopOptions {
  readonly clients: number;
  /** Distinct images the clients cycle through (see imagesOfClient). */
  readonly images: number;
  /** Measured requests in all (answered or failed), over every client. */
  readonly requests: number;
  /** Wall-time bound of the measured part. */
  readonly maxMs: number;
  readonly signal?: AbortSignal;
}

/** One answered request: which sample, and its latency in milliseconds. */
export interface AnsweredRequest {
  readonly image: number;
  readonly ms: number;
}

export interface ClosedLoopResult {
  readonly clients: number;
  readonly ok: number;
  readonly refused: number;
  readonly errors: number;
  readonly firstError?: string;
  /** Of the answered requests, milliseconds. */
  readonly latency: LatencySummary;
  /** Every answered request, in the order answered. */
  readonly answered: readonly AnsweredRequest[];
  readonly elapsedMs: number;
  readonly imagesPerSecond: number;
  /** The time bound ended the run before the budget was spent. */
  readonly cutShort: boolean;
}

/** The longest a refused client waits before trying again, whatever the agent asked. */
export const MAX_RETRY_WAIT_MS = 10_000;

/**
 * The images client `client` of `clients` sends, in order, cycling: every `clients`-th image from its
 * own index, so the clients together send every image and each can hold its own images (its shared
 * memory segment) from the start. With more clients than images, one image each.
 */
export function imagesOfClient(client: number, clients: number, images: number): number[] {
  if (clients >= images) return [client % images];
  const out: number[] = [];
  for (let i = client; i < images; i += clients) out.push(i);
  return out;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

export async function runClosedLoop(send: SendFn, o: ClosedLoopOptions): Promise<ClosedLoopResult> {
  const answered: AnsweredRequest[] = [];
  let ok = 0;
  let refused = 0;
  let errors = 0;
  let firstError: string | undefined;
  let budget = o.requests;
  let deadline = Number.POSITIVE_INFINITY;
  const over = () => o.signal?.aborted === true || performance.now() >= deadline;

  /** One request, retried after refusals; the latency of the answered attempt, or undefined. */
  const attempt = async (client: number, image: number): Promise<number | undefined> => {
    while (!over()) {
      const sentAt = performance.now();
      const outcome = await send(client, image);
      if (outcome.kind === 'ok') return performance.now() - sentAt;
      if (outcome.kind === 'error') {
        errors += 1;
        firstError ??= outcome.reason;
        return undefined;
      }
      refused += 1;
      const wait = Math.min(MAX_RETRY_WAIT_MS, Math.max(0, outcome.retryAfterMs), deadline - performance.now());
      await sleep(wait, o.signal);
    }
    return undefined;
  };

  const mine = (client: number) => imagesOfClient(client, o.clients, o.images);
  // Warm-up: one unmeasured request per client, all at once (failures still count as errors).
  deadline = performance.now() + o.maxMs;
  await Promise.all(Array.from({ length: o.clients }, (_, c) => attempt(c, mine(c)[0] as number)));

  const start = performance.now();
  deadline = start + o.maxMs;
  let last = start;
  const client = async (c: number) => {
    const images = mine(c);
    for (let k = 0; budget > 0 && !over(); k += 1) {
      budget -= 1;
      const image = images[k % images.length] as number;
      const ms = await attempt(c, image);
      if (ms !== undefined) {
        ok += 1;
        answered.push({ image, ms });
      }
      last = performance.now();
    }
  };
  await Promise.all(Array.from({ length: o.clients }, (_, c) => client(c)));
  const elapsedMs = last - start;
  return {
    clients: o.clients,
    ok,
    refused,
    errors,
    ...(firstError !== undefined ? { firstError } : {}),
    latency: summarizeLatencies(answered.map((a) => a.ms)),
    answered,
    elapsedMs,
    imagesPerSecond: perSecond(ok, elapsedMs),
    cutShort: budget > 0,
  };
}
