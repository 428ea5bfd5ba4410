/**
 * Run by thread-priority.test.ts in a process of its own (nice values cannot be lowered again, and the
 * test runner's own threads must keep theirs): starts a worker thread, keeps it first with the nice value
 * given as argv[2], starts a second worker afterwards, keeps that one as well, and prints what it saw as
 * JSON on stdout.
 */
import { getPriority } from 'node:os';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { currentThreadId, keepThreadFirst } from '../../src/adapters/thread-priority.ts';

if (!isMainThread) {
  parentPort?.postMessage(currentThreadId());
  parentPort?.once('message', () => parentPort?.close());
} else {
  const nice = Number(process.argv[2]);
  const start = async () => {
    const worker = new Worker(new URL(import.meta.url));
    const id = await new Promise<number>((resolve) => worker.once('message', resolve));
    return { worker, id };
  };
  const { readdirSync } = await import('node:fs');
  const nices = () =>
    Object.fromEntries(readdirSync('/proc/self/task').map((t) => [t, getPriority(Number(t))] as const));
  const first = await start();
  const kept = keepThreadFirst(first.id, nice);
  const afterFirst = nices();
  const second = await start();
  const keptSecond = keepThreadFirst(second.id, nice);
  const afterSecond = nices();
  kept.release();
  keptSecond.release();
  for (const w of [first, second]) {
    w.worker.postMessage('stop');
    await w.worker.terminate();
  }
  process.stdout.write(
    JSON.stringify({
      main: currentThreadId(),
      first: { id: first.id, supported: kept.supported, lowered: kept.lowered, niceOfKept: kept.niceOfKept ?? null },
      second: { id: second.id, niceOfKept: keptSecond.niceOfKept ?? null },
      afterFirst,
      afterSecond,
    }),
  );
}
