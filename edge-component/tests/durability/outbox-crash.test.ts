import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createDiskOutbox } from '../../src/adapters/disk-outbox.ts';
import { recordingPublisher, tempDir, text } from './helpers.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const child = fileURLToPath(new URL('./append-child.ts', import.meta.url));

/** Runs the appending child and kills it with SIGKILL after `killAfter` acknowledged appends. */
async function appendAndKill(dir: string, first: number, killAfter: number) {
  const proc = spawn(process.execPath, [child, dir, String(first), '100000'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const acks: { seq: number; i: number }[] = [];
  let stderr = '';
  proc.stderr.on('data', (d) => {
    stderr += String(d);
  });
  let buffered = '';
  proc.stdout.on('data', (d) => {
    buffered += String(d);
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      const m = /^ack (\d+) (\d+)$/.exec(line);
      if (m) acks.push({ seq: Number(m[1]), i: Number(m[2]) });
      if (acks.length >= killAfter && proc.exitCode === null) proc.kill('SIGKILL');
    }
  });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    proc.once('exit', (c, s) => resolve([c, s])),
  );
  expect({ signal, stderr }).toEqual({ signal: 'SIGKILL', stderr: '' });
  expect(code).toBeNull();
  return acks;
}

describe('disk outbox and kill -9', () => {
  it('keeps every acknowledged append exactly once across two SIGKILLs, in order, and the sequence continues', async () => {
    const dir = await tempDir(cleanups);
    const firstRun = await appendAndKill(dir, 0, 300);
    const secondRun = await appendAndKill(dir, 1_000_000, 300);
    const acked = [...firstRun, ...secondRun];
    expect(acked.length).toBeGreaterThanOrEqual(600);
    // The second process numbered its entries after everything the first one left on disk.
    expect(Math.min(...secondRun.map((a) => a.seq))).toBeGreaterThan(Math.max(...firstRun.map((a) => a.seq)));

    const outbox = await createDiskOutbox({ dir, capacity: 100_000, policy: 'pause-intake' });
    cleanups.push(() => outbox.close());
    const rec = recordingPublisher();
    outbox.start(rec.publisher);
    expect(await outbox.flush(30_000)).toBe(true);
    const delivered = rec.texts().map((t) => Number(t.slice(1)));
    // Exactly once: no duplicates; in order: the append order of each run, first run before second.
    expect(new Set(delivered).size).toBe(delivered.length);
    expect(delivered).toEqual([...delivered].sort((a, b) => a - b));
    const deliveredSet = new Set(delivered);
    const lost = acked.filter((a) => !deliveredSet.has(a.i));
    expect(lost).toEqual([]);
    // Unacknowledged appends may or may not have made it, but only as whole entries.
    expect(rec.sent.every((r) => /^m\d+$/.test(text(r.payload)) && r.topic === 'edgeqc/crash/inspections')).toBe(true);
    const next = await outbox.append({ topic: 'edgeqc/crash/inspections', payload: new Uint8Array(1) });
    expect(next.seq).toBeGreaterThan(Math.max(...acked.map((a) => a.seq)));
  }, 60_000);
});
