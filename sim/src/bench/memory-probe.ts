/**
 * Loaded into the agent process under benchmark (`node --import memory-probe.ts`): every second it
 * appends one JSON line of `process.memoryUsage()` (rss, heapTotal, heapUsed, external, arrayBuffers)
 * and the process's CPU time to the file named by BENCH_AGENT_MEMORY_FILE, so the benchmark can tell
 * where RSS goes (JS heap, buffers outside it, or native memory: onnxruntime, libvips, malloc arenas).
 * It does nothing without that variable. Not part of the agent itself.
 */
import { appendFileSync } from 'node:fs';

const file = process.env.BENCH_AGENT_MEMORY_FILE;
if (file) {
  const sample = () => {
    const m = process.memoryUsage();
    const cpu = process.cpuUsage();
    const line = { atMs: Date.now(), ...m, cpuUserUs: cpu.user, cpuSystemUs: cpu.system };
    try {
      appendFileSync(file, `${JSON.stringify(line)}\n`);
    } catch {
      // the benchmark removed its folder: nothing to report to any more
    }
  };
  sample();
  setInterval(sample, 1000).unref();
}
