/**
 * Child process of the crash tests: appends `m<i>` entries (messageId `id<i>`) to the outbox in <dir>,
 * four appends in flight at a time, and prints `ack <seq> <i>` once each append resolved (is durable).
 * With a broker URL it also delivers them (MQTT 3.1.1 publisher) while appending, and after the last
 * append waits until everything was delivered and prints `flushed`. The tests kill it with SIGKILL
 * somewhere in the middle. Usage: node append-child.ts <dir> <first i> <count> [mqtt://host:port]
 */
import { createDiskOutbox } from '../../src/adapters/disk-outbox.ts';
import { createMqtt311Publisher } from '../../src/adapters/mqtt311-publisher.ts';

const [dir, firstArg, countArg, url] = process.argv.slice(2);
if (!dir || !firstArg || !countArg) throw new Error('usage: append-child.ts <dir> <first i> <count> [broker url]');
const first = Number(firstArg);
const count = Number(countArg);
const outbox = await createDiskOutbox({ dir, capacity: 100_000, policy: 'pause-intake', retry: { maxMs: 500 } });
const publisher = url ? createMqtt311Publisher({ url, clientId: `crash-child-${process.pid}` }) : undefined;
if (publisher) {
  await publisher.connect();
  outbox.start(publisher);
}
process.stdout.write('ready\n');
let next = first;
const worker = async () => {
  while (next < first + count) {
    const i = next;
    next += 1;
    const payload = new TextEncoder().encode(`m${i}`);
    const entry = await outbox.append({ topic: 'edgeqc/crash/inspections', payload, messageId: `id${i}` });
    process.stdout.write(`ack ${entry.seq} ${i}\n`);
  }
};
await Promise.all([worker(), worker(), worker(), worker()]);
if (publisher) process.stdout.write(`${(await outbox.flush(60_000)) ? 'flushed' : 'not flushed'}\n`);
await outbox.close();
await publisher?.close();
process.stdout.write('done\n');
