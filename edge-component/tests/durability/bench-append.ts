/**
 * Append cost of the disk outbox (a script, not a test): 1,000 appends of an inspection-sized payload
 * (2 KiB) one after the other (as the agent's serial stage does), 1,000 at once (one shared fdatasync
 * per batch), and, for comparison, the file-per-entry alternative (temp file, fsync, rename, fsync of
 * the folder). Run: npx node edge-component/tests/durability/bench-append.ts [folder on the target disk]
 */
import { mkdtemp, open, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDiskOutbox } from '../../src/adapters/disk-outbox.ts';

const N = 1000;
const payload = new Uint8Array(2048).fill(65);
const base = await mkdtemp(join(process.argv[2] ?? tmpdir(), 'edgeqc-bench-outbox-'));

try {
  const outbox = await createDiskOutbox({ dir: join(base, 'outbox'), capacity: 10 * N, policy: 'pause-intake' });
  let t = performance.now();
  for (let i = 0; i < N; i += 1)
    await outbox.append({ topic: 'edgeqc/bench/inspections', payload, messageId: `id${i}` });
  const sequentialMs = performance.now() - t;
  t = performance.now();
  await Promise.all(Array.from({ length: N }, () => outbox.append({ topic: 'edgeqc/bench/inspections', payload })));
  const concurrentMs = performance.now() - t;
  await outbox.close();

  const dir = join(base, 'files');
  await (await import('node:fs/promises')).mkdir(dir);
  t = performance.now();
  for (let i = 0; i < N; i += 1) {
    const temp = join(dir, `.${i}.tmp`);
    const h = await open(temp, 'w');
    await h.writeFile(payload);
    await h.sync();
    await h.close();
    await rename(temp, join(dir, `${i}.msg`));
    const d = await open(dir, 'r');
    await d.sync();
    await d.close();
  }
  const filePerEntryMs = performance.now() - t;

  const row = (what: string, ms: number) =>
    console.log(
      `${what.padEnd(44)} ${ms.toFixed(0).padStart(6)} ms  ${((ms * 1000) / N).toFixed(0).padStart(5)} µs/entry`,
    );
  console.log(`disk outbox, ${N} appends of ${payload.length} bytes, in ${base}`);
  row('segment log, sequential (await each)', sequentialMs);
  row('segment log, all at once (shared fdatasync)', concurrentMs);
  row('file per entry, sequential (for comparison)', filePerEntryMs);
  console.log(`file per entry / segment log (sequential): ${(filePerEntryMs / sequentialMs).toFixed(2)}x`);
} finally {
  await rm(base, { recursive: true, force: true });
}
