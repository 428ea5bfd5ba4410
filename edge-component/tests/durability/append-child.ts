/**
 * Child process of the crash test: appends `m<i>` entries to the outbox in <dir>, four appends in
 * flight at a time, and prints `ack <seq> <i>` once each append resolved (is durable). The test kills
 * it with SIGKILL somewhere in the middle. Usage: node append-child.ts <dir> <first i> <count>
 */
import { createDiskOutbox } from '../../src/adapters/disk-outbox.ts';

const [dir, firstArg, countArg] = process.argv.slice(2);
if (!dir || !firstArg || !countArg) throw new Error('usage: append-child.ts <dir> <first i> <count>');
const first = Number(firstArg);
const count = Number(countArg);
const outbox = await createDiskOutbox({ dir, capacity: 100_000, policy: 'pause-intake' });
process.stdout.write('ready\n');
let next = first;
const worker = async () => {
  while (next < first + count) {
    const i = next;
    next += 1;
    const entry = await outbox.append({
      topic: 'edgeqc/crash/inspections',
      payload: new TextEncoder().encode(`m${i}`),
      messageId: `id${i}`,
    });
    process.stdout.write(`ack ${entry.seq} ${i}\n`);
  }
};
await Promise.all([worker(), worker(), worker(), worker()]);
await outbox.close();
process.stdout.write('done\n');
