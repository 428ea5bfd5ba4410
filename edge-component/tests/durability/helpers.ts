/** Small helpers of the durability tests: temp folders, a recording publisher, a log capture. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type Logger, pino } from 'pino';
import type { Publisher, PublishRequest } from '../../src/ports.ts';

export const bytes = (s: string) => new TextEncoder().encode(s);
export const text = (b: Uint8Array) => new TextDecoder().decode(b);

export async function tempDir(cleanups: (() => Promise<void>)[], prefix = 'edgeqc-durability-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A publisher that records what it was given; `failing` makes publish reject (as while offline). */
export function recordingPublisher() {
  const sent: PublishRequest[] = [];
  const state = { failing: false, attempts: 0 };
  const publisher: Publisher = {
    connect: async () => undefined,
    isConnected: () => !state.failing,
    async publish(request) {
      state.attempts += 1;
      if (state.failing) throw new Error('not connected');
      sent.push(request);
    },
    close: async () => undefined,
  };
  return { publisher, sent, state, texts: () => sent.map((r) => text(r.payload)) };
}

/** A pino logger whose JSON lines are kept in `lines` (to check that something was reported). */
export function capturingLogger(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { log: pino({ level: 'debug' }, stream), lines };
}

export async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
